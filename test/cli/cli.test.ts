import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../support/cli.js';
import { VERSION } from '../../src/version.js';
import { buildProgram } from '../../src/cli/main.js';

describe('manifold CLI', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown command exits non-zero with a one-line message and no stack', async () => {
    const r = await runCli(['no-such-command']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('every command and subcommand has --help', () => {
    const program = buildProgram();
    const walk = (cmd: typeof program, path: string[]): string[][] => [
      path,
      ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()])),
    ];
    const paths = walk(program, []);
    expect(paths.length).toBeGreaterThan(1);
    for (const p of paths) {
      let cmd = program;
      for (const name of p) cmd = cmd.commands.find((c) => c.name() === name)!;
      const help = cmd.helpInformation();
      expect(help).toMatch(/Usage:/);
      expect(help).toMatch(/-h, --help/);
    }
  });
});

describe('manifold CLI output', () => {
  it('exits cleanly when the reader closes the pipe early (manifold ... | head)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'iv', join(repoRoot, 'data/chains/SPX_2023-04-14_eod.csv')], {
      cwd: repoRoot,
      env: { ...process.env, MANIFOLD_LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
