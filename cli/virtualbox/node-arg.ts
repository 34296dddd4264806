import { LabNode } from '../../config/lab-config';
import { CliContext } from '../context';
import { KubelabError } from '../errors';

/** The config's node of that name, or a user error listing the nodes there are. */
export function nodeOf(ctx: CliContext, name: string): LabNode {
  const node = ctx.config.nodes.find((n) => n.name === name);
  if (!node) {
    throw new KubelabError(`no node named '${name}' in the lab config (${ctx.configSource}); the nodes are: ${ctx.config.nodes.map((n) => n.name).join(', ')}`);
  }
  return node;
}
