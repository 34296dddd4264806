import { ConfigError, ResolveOptions, resolveLabConfig } from '../../config/load';

/** The problems a config produces, one string each; fails the test when the config is accepted. */
export function problemsOf(overrides: unknown, options: ResolveOptions = {}): string[] {
  try {
    resolveLabConfig(overrides, 'kubelab.config.yaml', options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}
