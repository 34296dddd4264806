import { Command } from 'commander';
import { stringify } from 'yaml';
import { CliContext } from './context';

/** `kubelab config show|check`: what the lab will be, after the user's overrides. */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('Show or check the lab configuration (kubelab.config.yaml over the built-in default)');
  config
    .command('show')
    .description('Print the effective lab configuration as YAML')
    .action(() => {
      ctx.out(`# from: ${ctx.configSource}`);
      ctx.out(stringify(ctx.config).trimEnd());
    });
  config
    .command('check')
    .description('Validate the lab configuration; exits 1 with one line per bad value')
    .action(() => {
      void ctx.config;
      ctx.out(`kubelab: ${ctx.configSource}: configuration is valid`);
    });
}
