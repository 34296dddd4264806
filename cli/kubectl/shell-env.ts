/** The shells `kubelab env` prints for. */
export type ShellKind = 'sh' | 'powershell' | 'cmd';

/**
 * Lines to paste (or eval) so plain `kubectl` uses the lab: KUBECONFIG and, when kubelab has
 * downloaded kubectl, its folder first on PATH. Each shell gets its own quoting:
 * sh single quotes ('\'' inside), PowerShell single quotes ('' inside), cmd `set "NAME=value"`.
 */
export function envLines(shell: ShellKind, v: { kubeconfig: string; kubectlDir?: string }): string[] {
  switch (shell) {
    case 'sh': {
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      return [
        '# sh, bash, zsh: paste these lines, or run: eval "$(npx kubelab env --shell sh)"',
        `export KUBECONFIG=${q(v.kubeconfig)}`,
        ...(v.kubectlDir ? [`export PATH=${q(v.kubectlDir)}:"$PATH"`] : []),
      ];
    }
    case 'powershell': {
      const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
      return [
        '# PowerShell: paste these lines, or run: npx kubelab env --shell powershell | Out-String | Invoke-Expression',
        `$env:KUBECONFIG = ${q(v.kubeconfig)}`,
        ...(v.kubectlDir ? [`$env:Path = ${q(v.kubectlDir + ';')} + $env:Path`] : []),
      ];
    }
    case 'cmd':
      return [
        'REM cmd.exe: paste these lines',
        `set "KUBECONFIG=${v.kubeconfig}"`,
        ...(v.kubectlDir ? [`set "PATH=${v.kubectlDir};%PATH%"`] : []),
      ];
  }
}
