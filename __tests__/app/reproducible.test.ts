import * as os from 'os';
import * as path from 'path';
import { synthLab } from './synth-lab';

describe('synth output is reproducible and holds nothing private', () => {
  const first = synthLab();
  const second = synthLab();

  test('two synths are byte-identical', () => {
    expect(Object.keys(second.files).sort()).toEqual(Object.keys(first.files).sort());
    for (const [file, text] of Object.entries(first.files)) expect({ file, same: second.files[file] === text }).toEqual({ file, same: true });
  });

  test('no absolute path of this machine appears (same JSON on every machine)', () => {
    const machinePaths = [path.resolve(__dirname, '..', '..'), os.homedir(), first.outdir].filter((p) => p.length > 1);
    for (const [file, text] of Object.entries(first.files)) {
      for (const p of machinePaths) expect({ file, contains: p, found: text.includes(p) }).toEqual({ file, contains: p, found: false });
      // No Windows drive paths either
      expect(text).not.toMatch(/[A-Za-z]:\\\\/);
    }
  });

  test('no timestamps in the output', () => {
    for (const text of Object.values(first.files)) expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  test('no secret (token, private key, kubeconfig content) in any synthesized file', () => {
    const secretShapes = [
      /PRIVATE KEY/,
      /K10[0-9a-f]{20,}/, // K3s token format
      /client-(key|certificate)-data/,
      /certificate-authority-data/,
      /"token"\s*:/,
      /k3s-token|id_ed25519\b/, // no secret file path handed to Terraform either
      /apiVersion:\s*v1\s*\nclusters:/,
    ];
    for (const [file, text] of Object.entries(first.files)) {
      for (const shape of secretShapes) expect({ file, shape: String(shape), found: shape.test(text) }).toEqual({ file, shape: String(shape), found: false });
    }
  });
});
