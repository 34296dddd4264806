import { Command } from 'commander';
import * as path from 'path';
import { CliContext } from '../context';
import { nodeOf } from '../virtualbox/node-arg';
import { writeNodeSeedIso } from './seed-iso';

/** `kubelab seed-iso <node> --out FILE`: the node's cloud-init seed, for inspection or a VM made by hand. */
export function registerSeedCommand(program: Command, ctx: CliContext): void {
  program
    .command('seed-iso')
    .description("Write a node's cloud-init NoCloud seed ISO (label cidata: user-data, meta-data, network-config)")
    .argument('<node>', 'node name from the lab config, e.g. cp1')
    .option('--out <file>', 'where to write the ISO (default: .kubelab/seeds/<node>.iso)')
    .action((name: string, opts: { out?: string }) => {
      const node = nodeOf(ctx, name);
      const out = writeNodeSeedIso(ctx.config, node, ctx.paths, opts.out ? path.resolve(opts.out) : undefined);
      ctx.out(`kubelab: wrote the cloud-init seed of ${node.name} (${node.ip}) to ${out}`);
    });
}
