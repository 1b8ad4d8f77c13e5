import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_FRAME, IN_CONN_DOWN, type PipelineInput } from '../../src/feed/pipeline.js';
import { Recorder, RecordingError, RecordingReader } from '../../src/feed/recorder.js';
import { repoRoot } from '../support/cli.js';
import { sleep } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-rec-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const header = { version: 1 as const, underlying: 'SPX', createdMs: 0, contracts: ['O:SPXW230421C04100000'] };

function readAll(path: string): { inputs: PipelineInput[]; reader: RecordingReader } {
  const reader = new RecordingReader(path);
  const inputs: PipelineInput[] = [];
  for (const b of reader.blocks()) for (const i of b) inputs.push({ ...i, data: Buffer.from(i.data) });
  reader.close();
  return { inputs, reader };
}

describe('recorder', () => {
  it('round-trips inputs in order, in independently compressed blocks', async () => {
    const path = join(dir, 'a.mfrec');
    const rec = new Recorder(path, header, { blockBytes: 2000 });
    const written: PipelineInput[] = [];
    for (let i = 0; i < 500; i++) {
      const input = { type: i % 50 === 0 ? IN_CONN_DOWN : IN_FRAME, recvMs: 1.7e12 + i * 0.125, data: Buffer.from(`[{"n":${i},"pad":"${'x'.repeat(i % 37)}"}]`) } as PipelineInput;
      rec.write(input);
      written.push(input);
    }
    await rec.close();
    expect(rec.stats.blocks).toBeGreaterThan(10);
    const { inputs, reader } = readAll(path);
    expect(reader.result.truncatedTail).toBe(false);
    expect(reader.header).toEqual(header);
    expect(inputs.map((i) => [i.type, i.recvMs, Buffer.from(i.data).toString()])).toEqual(written.map((i) => [i.type, i.recvMs, Buffer.from(i.data).toString()]));
    expect(() => new Recorder(path, header)).toThrow(/already exists/);
  });

  it('a file cut anywhere inside its last block loses only that block', async () => {
    const path = join(dir, 'b.mfrec');
    const rec = new Recorder(path, header, { blockBytes: 1000 });
    for (let i = 0; i < 200; i++) rec.write({ type: IN_FRAME, recvMs: i, data: Buffer.from(`[${i}]`.padEnd(40, ' ')) });
    await rec.close();
    const full = readAll(path);
    const blocks = full.reader.result.blocks;
    // Size of the file without its last block: read block boundaries by cutting until one block disappears.
    const size = statSync(path).size;
    let lastStart = size - 1;
    for (; lastStart > 0; lastStart--) {
      const p = join(dir, 'probe.mfrec');
      copyFileSync(path, p);
      truncateSync(p, lastStart);
      const r = readAll(p);
      rmSync(p);
      if (r.reader.result.blocks === blocks - 1 && !r.reader.result.truncatedTail) break;
    }
    const inLast = full.inputs.length - readAllCut(path, lastStart).inputs.length;
    expect(inLast).toBeGreaterThan(0);
    for (let cut = lastStart + 1; cut < size; cut++) {
      const r = readAllCut(path, cut);
      expect(r.reader.result.truncatedTail).toBe(true);
      expect(r.inputs.length).toBe(full.inputs.length - inLast);
    }
    // a flipped byte in the last block: CRC catches it
    const p = join(dir, 'flip.mfrec');
    const bytes = readFileSync(path);
    bytes[size - 3] ^= 0x55;
    writeFileSync(p, bytes);
    const r = readAll(p);
    expect(r.reader.result.truncatedTail).toBe(true);
    expect(r.reader.result.tailReason).toMatch(/CRC/);
    expect(r.inputs.length).toBe(full.inputs.length - inLast);
  });

  it('refuses files that are not recordings', () => {
    const p = join(dir, 'not.mfrec');
    writeFileSync(p, 'hello world, not a recording');
    expect(() => new RecordingReader(p)).toThrow(RecordingError);
    expect(() => new RecordingReader(join(dir, 'missing.mfrec'))).toThrow(/cannot open/);
  });

  it('a recorder killed with SIGKILL leaves a readable file', async () => {
    const path = join(dir, 'killed.mfrec');
    const script = join(dir, 'rec-child.ts');
    writeFileSync(
      script,
      `import { Recorder } from ${JSON.stringify(join(repoRoot, 'src/feed/recorder.ts'))};
const rec = new Recorder(${JSON.stringify(path)}, { version: 1, underlying: 'SPX', createdMs: 0, contracts: [] }, { flushMs: 10, blockBytes: 4096 });
let i = 0;
setInterval(() => { for (let k = 0; k < 200; k++, i++) rec.write({ type: 0, recvMs: i, data: Buffer.from(JSON.stringify([{ i }])) }); }, 1);
console.log('ready');
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    await sleep(700);
    child.kill('SIGKILL');
    await new Promise<void>((r) => child.once('exit', () => r()));
    const { inputs, reader } = readAll(path);
    expect(reader.result.blocks).toBeGreaterThan(3);
    // every record that was read is intact and in order
    inputs.forEach((x, k) => expect(JSON.parse(Buffer.from(x.data).toString())).toEqual([{ i: k }]));
  });
});

function readAllCut(path: string, size: number) {
  const p = join(dir, `cut-${size}.mfrec`);
  copyFileSync(path, p);
  truncateSync(p, size);
  try {
    return readAll(p);
  } finally {
    rmSync(p);
  }
}
