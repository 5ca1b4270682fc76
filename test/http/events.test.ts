import t, { type Test } from 'tap'
import { listeningEmulator } from '../helpers/emulator.js'
import { assertInvocation } from '../helpers/schema.js'
import { openEventStream, parseEvent, type EmulatorEvent, type SseMessage, type SseStream } from '../helpers/sse.js'
import type { Emulator } from '../../src/index.js'

/** Starts an invocation through the ingress (a real HTTP call) and returns its id. */
async function send (emu: Emulator, path: string, input: unknown = 'Ada', headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${emu.ingressUrl}/${path}/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(input)
  })
  if (res.status !== 202 && res.status !== 200) throw new Error(`send ${path}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { invocationId: string }).invocationId
}

async function stream (t: Test, emu: Emulator, query = '', headers: Record<string, string> = {}): Promise<SseStream> {
  const s = await openEventStream(`${emu.adminUrl}/_emulator/events${query}`, headers)
  t.teardown(() => s.close())
  return s
}

/** Reads messages until one satisfies `until`; returns all of them, checking every record. */
async function readUntil (s: SseStream, until: (e: EmulatorEvent, m: SseMessage) => boolean): Promise<EmulatorEvent[]> {
  const out: EmulatorEvent[] = []
  for (;;) {
    const message = await s.next()
    const event = parseEvent(message)
    if (message.event !== 'reset' && message.event !== 'gap') {
      assertInvocation(event.invocation)
      if (message.id !== String(event.id)) throw new Error(`SSE id ${message.id} differs from the payload's ${event.id}`)
      if (message.event !== event.type) throw new Error(`SSE event ${message.event} differs from the payload's ${event.type}`)
    }
    out.push(event)
    if (until(event, message)) return out
  }
}

const ids = (events: EmulatorEvent[]): number[] => events.map(e => e.id)

/** Runs a little of everything: a plain call, a flaky one, an object call, a workflow; all complete. */
async function mixedWork (emu: Emulator): Promise<string[]> {
  const started = [
    await send(emu, 'Greeter/greet'),
    await send(emu, 'Flaky/twice'),
    await send(emu, 'Counter/c1/add', 2),
    await send(emu, 'Signup/s1/run')
  ]
  emu.clock.runUntilIdle()
  return started
}

t.test('a stream gets created and transition events with the full record, ids increasing', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const s = await stream(t, emu)
  t.equal(s.status, 200)
  t.match(s.headers['content-type'], /^text\/event-stream/)
  t.equal(s.headers['cache-control'], 'no-cache, no-transform')

  const id = await send(emu, 'Greeter/greet')
  emu.clock.advance('1s')
  const events = await readUntil(s, e => e.invocation.id === id && e.invocation.status === 'completed')

  t.equal(s.retry, 2000, 'the server sets the reconnect delay')
  t.same(events.map(e => e.type), ['created', 'transition', 'transition'])
  t.same(events.map(e => e.invocation.status), ['ready', 'running', 'completed'])
  t.match(events[0], { id: 1, type: 'created', at: '2026-01-01T00:00:00.000Z', invocation: { id, target: 'Greeter/greet', status: 'ready' } })
  t.match(events[1], { id: 2, type: 'transition', from: 'ready', to: 'running', invocation: { id, status: 'running', running_at: '2026-01-01T00:00:00.000Z' } })
  t.match(events[2], {
    id: 3,
    type: 'transition',
    from: 'running',
    to: 'completed',
    at: '2026-01-01T00:00:00.100Z',
    invocation: { id, status: 'completed', completion_result: 'success', completed_at: '2026-01-01T00:00:00.100Z' }
  })
  t.same(events[2].invocation, emu.invocations.get(id), 'the last event carries the record as the store holds it')
})

t.test('event ids increase by one across many invocations and every record is valid', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const s = await stream(t, emu)
  await mixedWork(emu)
  const last = emu.events.lastId
  const events = await readUntil(s, e => e.id === last)
  t.same(ids(events), Array.from({ length: last }, (_, i) => i + 1))
  t.ok(events.some(e => e.to === 'backing-off'), 'retries show up as transitions')
  for (const e of events.filter(e => e.type === 'transition')) {
    t.equal(e.invocation.status, e.to, `event ${e.id}: the record's status is the new one`)
  }
  const stats = await (await fetch(`${emu.adminUrl}/_emulator/stats`)).json() as { last_event_id: number }
  t.equal(stats.last_event_id, last, 'stats report the last event id')
})

t.test('filters: status, service and id each keep exactly the matching events', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const all = await stream(t, emu)
  const byStatus = await stream(t, emu, '?status=completed,backing-off')
  const byService = await stream(t, emu, '?service=Counter')
  const started = await mixedWork(emu)
  const flaky = started[1]
  const byId = await stream(t, emu, `?id=${flaky}&replay=true`)

  const everything = await readUntil(all, e => e.id === emu.events.lastId)
  const cases: Array<[string, SseStream, (e: EmulatorEvent) => boolean]> = [
    ['status', byStatus, e => e.invocation.status === 'completed' || e.invocation.status === 'backing-off'],
    ['service', byService, e => e.invocation.target_service_name === 'Counter'],
    ['id', byId, e => e.invocation.id === flaky]
  ]
  for (const [name, s, keep] of cases) {
    const expected = everything.filter(keep)
    t.ok(expected.length > 0, `${name}: some events match`)
    const got = await readUntil(s, e => e.id === expected.at(-1)?.id)
    t.same(ids(got), ids(expected), `${name}: exactly the matching events, in order`)
  }
  t.same(everything.filter(e => e.invocation.id === flaky).map(e => e.invocation.status),
    ['ready', 'running', 'backing-off', 'ready', 'running', 'backing-off', 'ready', 'running', 'completed'])

  // Nothing else is queued: the next message on each filtered stream is a new matching event.
  const next = await send(emu, 'Counter/c2/add', 1)
  emu.clock.runUntilIdle()
  t.match(parseEvent(await byService.next()), { type: 'created', invocation: { id: next } })
  t.match(parseEvent(await byStatus.next()), { type: 'transition', to: 'completed', invocation: { id: next } })
  t.same(byId.drain(), [], 'the id stream got nothing about other invocations')
})

t.test('Last-Event-ID and ?last_event_id= resume from the buffer without gaps or repeats', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  await mixedWork(emu)
  const last = emu.events.lastId
  t.ok(last > 12)
  const from = 7

  for (const [how, query, headers] of [
    ['header', '', { 'last-event-id': String(from) }],
    ['query', `?last_event_id=${from}`, {}],
    ['header over query', '?last_event_id=1', { 'last-event-id': String(from) }]
  ] as Array<[string, string, Record<string, string>]>) {
    const s = await stream(t, emu, query, headers)
    const replayed = await readUntil(s, e => e.id === last)
    t.same(ids(replayed), Array.from({ length: last - from }, (_, i) => from + 1 + i), `${how}: events ${from + 1}..${last}`)
    s.close()
  }

  // A client that resumes keeps receiving live events after the replay, seamlessly.
  const s = await stream(t, emu, '', { 'last-event-id': String(last - 2) })
  const id = await send(emu, 'Greeter/greet')
  const got = await readUntil(s, e => e.invocation.id === id && e.type === 'created')
  t.same(ids(got), [last - 1, last, last + 1])

  const none = await stream(t, emu, '', { 'last-event-id': String(emu.events.lastId) })
  const after = await send(emu, 'Greeter/greet')
  t.match(parseEvent(await none.next()), { id: emu.events.lastId - 1, type: 'created', invocation: { id: after } }, 'resuming from the last id replays nothing')
})

t.test('a stream without Last-Event-ID starts live; ?replay=true starts with the whole buffer', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  await send(emu, 'Greeter/greet')
  const live = await stream(t, emu)
  const replay = await stream(t, emu, '?replay=true')
  const id = await send(emu, 'Flaky/terminal')
  t.match(parseEvent(await live.next()), { id: 3, type: 'created', invocation: { id } })
  t.same(ids(await replay.take(3).then(ms => ms.map(parseEvent))), [1, 2, 3])
  t.match(live.comments[0], /last id 2/, 'the opening comment names the last id')
})

t.test('resuming from an id the buffer no longer holds sends a gap event first', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual', eventBuffer: 5 })
  await mixedWork(emu)
  const last = emu.events.lastId
  const s = await stream(t, emu, '', { 'last-event-id': '2' })
  const gap = await s.next()
  t.equal(gap.event, 'gap')
  t.equal(gap.id, undefined, 'a gap event does not move the client’s last id')
  t.same(JSON.parse(gap.data), { after: 2, oldest_event_id: last - 4 })
  const rest = await readUntil(s, e => e.id === last)
  t.same(ids(rest), [last - 4, last - 3, last - 2, last - 1, last])
})

t.test('a reset is announced to open streams, and a stale id after a reset replays the new log', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  await mixedWork(emu)
  const old = emu.events.lastId
  const s = await stream(t, emu)
  emu.reset()
  const reset = await s.next()
  t.same({ event: reset.event, id: reset.id, data: JSON.parse(reset.data) }, { event: 'reset', id: '0', data: { last_event_id: 0 } })

  const id = await send(emu, 'Greeter/greet')
  t.match(parseEvent(await s.next()), { id: 1, type: 'created', invocation: { id } }, 'ids start over after a reset')

  const stale = await stream(t, emu, '', { 'last-event-id': String(old) })
  t.equal((await stale.next()).event, 'reset', 'an id from before the reset gets a reset event')
  t.same(ids(await readUntil(stale, e => e.id === emu.events.lastId)), [1, 2], 'then everything since the reset')

  t.same(ids(await readUntil(s, e => e.id === emu.events.lastId)), [2])
  const snapshot = emu.core.snapshot()
  const restored = await fetch(`${emu.adminUrl}/_emulator/snapshot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(snapshot) })
  t.equal(restored.status, 200)
  t.equal((await s.next()).event, 'reset', 'restoring a snapshot is a reset too')
  t.match(parseEvent(await s.next()), { id: 1, type: 'created', invocation: { id, status: 'running' } }, 'then the restored records')
})

t.test('a bad filter gets 400 naming the field', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['?status=running,bogus', {}, /querystring\/status: 'bogus' is not one of pending, ready, running, backing-off, suspended, completed/],
    ['?id=inv_nope', {}, /querystring\/id: 'inv_nope' is not an invocation id/],
    ['?last_event_id=abc', {}, /querystring\/last_event_id/],
    ['?last_event_id=-1', {}, /querystring\/last_event_id/],
    ['', { 'last-event-id': 'abc' }, /headers\/last-event-id/]
  ]
  for (const [query, headers, message] of cases) {
    const res = await fetch(`${emu.adminUrl}/_emulator/events${query}`, { headers })
    t.equal(res.status, 400, `${query || JSON.stringify(headers)}: 400`)
    t.match(res.headers.get('content-type'), /application\/json/)
    const body = await res.json() as { message: string, restate_code: null }
    t.match(body, { message, restate_code: null })
  }
})

t.test('with an admin token the stream needs it, as a header or ?access_token=', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual', adminToken: 's3cret' })
  const denied = await fetch(`${emu.adminUrl}/_emulator/events`)
  t.equal(denied.status, 401)
  await denied.body?.cancel()
  const byQuery = await stream(t, emu, '?access_token=s3cret')
  const byHeader = await stream(t, emu, '', { authorization: 'Bearer s3cret' })
  t.equal(byQuery.status, 200)
  t.equal(byHeader.status, 200)
  const id = await send(emu, 'Greeter/greet')
  t.match(parseEvent(await byQuery.next()), { invocation: { id } })
  t.match(parseEvent(await byHeader.next()), { invocation: { id } })
})

t.test('closing the emulator ends open streams and does not hang', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const streams = [await stream(t, emu), await stream(t, emu, '?status=running'), await stream(t, emu, '?replay=true')]
  await send(emu, 'Greeter/greet')
  await streams[0].next()
  await emu.close()
  await Promise.all(streams.map(s => s.ended))
  t.pass('every stream ended')
  await t.rejects(fetch(`${emu.adminUrl}/_emulator/events`), 'nothing listens any more')
})
