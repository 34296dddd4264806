import { App } from 'cdktf';
import { ConfigError, loadLabConfig } from './config/load';
import { buildLab } from './lab';

// Validate before any Terraform is written: a bad config prints its problems and writes nothing.
let loaded;
try {
  loaded = loadLabConfig(__dirname);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`kubelab: error: ${err.message}`);
  // Every destroy step takes what it needs from its own triggers, so the last synthesized stacks can still tear the lab down.
  console.error('kubelab: to remove the lab as last deployed without fixing the config: npm run down');
  process.exit(1);
}
for (const warning of loaded.warnings) console.error(`kubelab: warning: ${warning}`);
// Stack traces in construct metadata cost synth time and are never shown to lab users.
const app = new App({ stackTraces: false });
buildLab(app, loaded.config);
app.synth();
