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
