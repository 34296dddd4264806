/**
 * The kubelab CLI in its own process against the VBoxManage STAND-IN (see
 * ../support/vboxmanage-standin.js), in a scratch project: `<projectDir> <verb…>` runs
 * exactly what bin/kubelab.js runs (cli/main.ts), only for another project folder.
 * Nothing here replaces a step of a verb: `vm create` waits for the node over SSH,
 * which the tests point at a real OpenSSH server on 127.0.0.1 (KUBELAB_TEST_SSH_ENDPOINTS).
 */
import { main } from '../../cli/main';

const [projectDir, ...argv] = process.argv.slice(1);
main(argv, projectDir).then((code) => (process.exitCode = code));
