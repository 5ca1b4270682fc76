import t from 'tap'
import { Store, decodeCursor, encodeCursor, type Entry } from '../../src/core/store.js'
import { DEFAULT_RETRY_POLICY } from '../../src/core/behavior.js'

function entry (store: Store, createdMs: number, status: 'running' | 'completed' = 'running'): Entry {
  const seq = store.nextSeq()
  const e: Entry = {
    seq,
    createdMs,
    record: { id: `inv_${String(seq).padStart(34, '0')}`, target: 'S/h', status, target_service_name: 'S', target_handler_name: 'h' },
    input: null,
    behavior: {},
    policy: DEFAULT_RETRY_POLICY,
    suspensions: 0,
    failures: 0,
    retryBase: 0,
    waiters: []
  }
  store.add(e)
  return e
}

t.test('pages newest first by (created, insertion), stable across removals and compactions', async t => {
  const store = new Store()
  const all: Entry[] = []
  for (let i = 0; i < 5000; i++) all.push(entry(store, 1000 + Math.floor(i / 3)))
  const seen: string[] = []
  let cursor
  let pages = 0
  do {
    const page = store.list({ limit: 100, cursor })
    seen.push(...page.entries.map(e => e.record.id))
    cursor = page.next
    pages++
    // Remove 60 already-served and 10 not-yet-served entries per page: more than enough to compact.
    for (const id of seen.slice(-60)) store.delete(id)
    const ahead = store.list({ limit: 1000, cursor }).entries.slice(-10)
    for (const e of ahead) store.delete(e.record.id)
    // New entries arrive, newer than anything served.
    entry(store, 9_999_999)
  } while (cursor !== undefined)
  const removedAhead = new Set(all.map(e => e.record.id).filter(id => !seen.includes(id)))
  const expected = [...all].reverse().map(e => e.record.id).filter(id => !removedAhead.has(id))
  t.same(seen, expected, 'no skip, no repeat, newest first')
  t.ok(pages > 10)
  t.equal(new Set(seen).size, seen.length)
})

t.test('an entry inserted out of order (an older created time) lands in its place', async t => {
  const store = new Store()
  const a = entry(store, 100)
  const b = entry(store, 300)
  const c = entry(store, 200)
  t.same(store.list({ limit: 10 }).entries.map(e => e.seq), [b.seq, c.seq, a.seq])
  t.same(store.values().map(e => e.seq), [a.seq, c.seq, b.seq])
})

t.test('filters and created_after / created_before bounds', async t => {
  const store = new Store()
  const e1 = entry(store, 100, 'completed')
  const e2 = entry(store, 200)
  entry(store, 300, 'completed')
  t.same(store.list({ limit: 10, statuses: new Set(['running']) }).entries, [e2])
  t.same(store.list({ limit: 10, createdAfter: 100, createdBefore: 300 }).entries, [e2])
  t.same(store.list({ limit: 10, createdBefore: 200 }).entries, [e1])
})

t.test('cursors round-trip and reject garbage', async t => {
  t.same(decodeCursor(encodeCursor({ createdMs: 1767225600000, seq: 42 })), { createdMs: 1767225600000, seq: 42 })
  t.equal(decodeCursor('garbage'), undefined)
  t.equal(decodeCursor(''), undefined)
})

t.test('a filter on in-flight statuses pages the in-flight index the same way as a scan', async t => {
  const store = new Store()
  const running: Entry[] = []
  for (let i = 0; i < 2000; i++) {
    const e = entry(store, 1000 + i, i % 20 === 0 ? 'running' : 'completed')
    if (e.record.status === 'running') running.push(e)
  }
  const statuses = new Set(['running' as const])
  const seen: Entry[] = []
  let cursor
  do {
    const page = store.list({ limit: 7, statuses, cursor })
    seen.push(...page.entries)
    cursor = page.next
  } while (cursor !== undefined)
  t.same(seen.map(e => e.seq), running.reverse().map(e => e.seq))
  // A status change is seen by the index.
  const done = seen[0]
  done.record.status = 'completed'
  store.noteStatus(done)
  t.notOk(store.list({ limit: 500, statuses }).entries.includes(done))
})
