import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Spool } from '../../src/store/spool.js';

const tmp = mkdtempSync(join(tmpdir(), 'manifold-spool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('appends records in order, replays them in windows grouped by table, and resumes after a restart', () => {
  const f = join(tmp, 'a.spool');
  const s = new Spool(f, { fsync: false });
  s.append('t1', [[1, 'a'], [2, 'b']]);
  s.append('t2', [[10]]);
  s.append('t1', [[3, 'c']]);
  s.append('t1', [[4, 'd']]);
  const w = s.peekWindow(4)!;
  expect([...w.groups.entries()]).toEqual([['t1', [[1, 'a'], [2, 'b'], [3, 'c']]], ['t2', [[10]]]]);
  expect(w.rows).toBe(4);
  s.commit(w.next);
  s.close();
  // A new process resumes after the committed window.
  const s2 = new Spool(f, { fsync: false });
  const w2 = s2.peekWindow(100)!;
  expect([...w2.groups.entries()]).toEqual([['t1', [[4, 'd']]]]);
  s2.commit(w2.next);
  expect(s2.peekWindow(100)).toBeUndefined();
  s2.reset();
  expect(s2.size()).toBe(0);
  s2.close();
});

it('skips a torn last record (crash during append) and keeps everything before it', () => {
  const f = join(tmp, 'b.spool');
  const s = new Spool(f, { fsync: false });
  s.append('t', [[1]]);
  s.append('t', [[2]]);
  s.close();
  const whole = readFileSync(f);
  writeFileSync(f, whole.subarray(0, whole.length - 3)); // cut the second record short
  appendFileSync(f, Buffer.alloc(0));
  const s2 = new Spool(f, { fsync: false });
  const w = s2.peekWindow(100)!;
  expect([...w.groups.values()]).toEqual([[[1]]]);
  s2.commit(w.next);
  expect(s2.peek()).toBeUndefined();
  expect(s2.torn).toBe(1);
  s2.close();
});

it('refuses a second live user of the same spool file', () => {
  const f = join(tmp, 'c.spool');
  const s = new Spool(f, { fsync: false });
  writeFileSync(`${f}.lock`, String(process.ppid)); // pretend another live process holds it
  expect(() => new Spool(f, { fsync: false })).toThrow(/in use by process/);
  writeFileSync(`${f}.lock`, '999999999'); // a dead holder is taken over
  const s2 = new Spool(f, { fsync: false });
  s2.close();
  s.close();
});
