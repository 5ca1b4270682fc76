// The scenarios: the same code drives the real server and the emulator. Each records what it saw
// (HTTP answers, client results, status sequences) into an Observation; compare.ts compares them.
import '../helpers/polyfill.js'
import * as clients from '@restatedev/restate-sdk-clients'
import { Masker, recordInvocation, statusLabel, type HttpRecord, type Observation, type Poller } from './observe.js'
import type { InvocationView, Target } from './target.js'
import { counter, greeter, signup } from './service.js'

export interface ScenarioTarget extends Target {
  /** Shared poller of this target (one per target, reads every watched invocation every 20 ms). */
  poller: Poller
}

export interface Scenario {
  name: string
  /** What the scenario does, for the report. */
  about: string
  run: (target: ScenarioTarget) => Promise<Observation>
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** One run of one scenario on one target: the recording helpers. */
class Run {
  readonly masker = new Masker()
  readonly obs: Observation = { http: {}, client: {}, invocations: {} }
  readonly ingress: clients.Ingress
  private readonly tracked: Array<{ label: string, id: string }> = []

  constructor (readonly t: ScenarioTarget) {
    this.ingress = clients.connect({ url: t.ingressUrl })
  }

  /** Watches an invocation under a label (inv_A, inv_B, …, in the order tracked). */
  track (id: string): string {
    const existing = this.tracked.find(x => x.id === id)
    if (existing !== undefined) return existing.label
    const label = `inv_${LETTERS[this.tracked.length]}`
    this.tracked.push({ label, id })
    this.masker.name(id, label)
    this.t.poller.watch(id)
    return label
  }

  private async http (base: string, label: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: any, text: string, headers: Headers }> {
    if (label in this.obs.http) throw new Error(`duplicate http label ${label}`)
    const init: RequestInit = { method, headers: { ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' && headers['content-type'] !== undefined ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
    }
    const res = await fetch(`${base}${path}`, init)
    const text = await res.text()
    let json: any
    try { json = text === '' ? '' : JSON.parse(text) } catch { json = text }
    this.trackNew(json)
    const rec: HttpRecord = { status: res.status, body: this.masker.value(json) }
    const src = res.headers.get('x-restate-error-source')
    if (src !== null) rec.errorSource = src
    this.obs.http[label] = rec
    return { status: res.status, json, text, headers: res.headers }
  }

  async ing (label: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number, json: any, headers: Headers }> {
    return await this.http(this.t.ingressUrl, label, method, path, body, headers)
  }

  async adm (label: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number, json: any }> {
    return await this.http(this.t.adminUrl, label, method, path, body, headers)
  }

  /** Tracks the invocations an answer announces (send: invocationId; restart-as-new: new_invocation_id). */
  private trackNew (json: any): void {
    if (json === null || typeof json !== 'object') return
    for (const k of ['invocationId', 'new_invocation_id']) {
      if (typeof json[k] === 'string' && json[k].startsWith('inv_')) this.track(json[k])
    }
  }

  /** Replaces a recorded body by a projection of it (for answers whose order or detail is not the point). */
  reshape (label: string, fn: (body: any) => unknown): void {
    const rec = this.obs.http[label]
    if (rec !== undefined) rec.body = fn(rec.body)
  }

  /** Runs an official-client call and records its value, or the HTTP error it threw. */
  async client<T> (label: string, fn: () => PromiseLike<T>): Promise<T | undefined> {
    try {
      const v = await fn()
      this.trackNew(v)
      this.obs.client[label] = { ok: this.masker.value(v) }
      return v
    } catch (err) {
      if (err instanceof clients.HttpCallError) {
        let body: unknown = err.responseText
        try { body = JSON.parse(err.responseText) } catch {}
        this.obs.client[label] = { error: { status: err.status, body: this.masker.value(body) } }
      } else {
        this.obs.client[label] = { error: { message: this.masker.str(String((err as Error).message ?? err)) } }
      }
      return undefined
    }
  }

  /** POST …/send and track the new invocation. */
  async send (label: string, path: string, body: unknown, headers?: Record<string, string>): Promise<string> {
    const r = await this.ing(label, 'POST', path, body, headers)
    if (r.status !== 202 || typeof r.json?.invocationId !== 'string') {
      throw new Error(`[${this.t.name}] POST ${path} → ${r.status} ${JSON.stringify(r.json)}`)
    }
    this.track(r.json.invocationId)
    return r.json.invocationId
  }

  async waitStatus (id: string, status: string, timeoutMs = 15_000): Promise<InvocationView | undefined> {
    return await this.t.poller.waitForStatus(id, status, timeoutMs)
  }

  async waitFor (id: string, what: string, pred: (v: InvocationView | undefined) => boolean, timeoutMs = 15_000): Promise<InvocationView | undefined> {
    return await this.t.poller.waitFor(id, pred, timeoutMs, what)
  }

  /**
   * Waits (by polling) until pred holds or timeoutMs passes, and records under `label` what the
   * invocation then was: its status, or `still <status>` when the wait ran out. For steps where
   * the targets may legitimately part ways: the difference is recorded, not thrown.
   */
  async settle (id: string, label: string, what: string, pred: (v: InvocationView | undefined) => boolean, timeoutMs: number): Promise<InvocationView | undefined> {
    try {
      const v = await this.t.poller.waitFor(id, pred, timeoutMs, what)
      this.obs.client[label] = statusLabel(v)
      return v
    } catch {
      const v = this.t.poller.trace(id).last
      this.obs.client[label] = `still ${statusLabel(v)}`
      return v
    }
  }

  /** Records a single reading of an invocation (masked), e.g. right after an admin call. */
  async snapshot (label: string, id: string): Promise<void> {
    const v = await this.t.readStatus(id)
    this.obs.client[label] = v === undefined ? 'gone' : statusLabel(v)
  }

  /** One last reading of every tracked invocation, so that the record ends with the current state. */
  async lastReading (): Promise<void> {
    if (this.tracked.length === 0) return
    await this.t.poller.readNow(this.tracked.map(x => x.id))
  }

  finish (): Observation {
    for (const { label, id } of this.tracked) {
      this.t.poller.unwatch(id)
      this.obs.invocations[label] = recordInvocation(this.t.poller.trace(id), this.masker)
    }
    return this.obs
  }
}

async function scenario (t: ScenarioTarget, body: (r: Run) => Promise<void>): Promise<Observation> {
  const r = new Run(t)
  try {
    await body(r)
    await r.lastReading()
  } finally {
    r.finish()
  }
  return r.obs
}

const completed = (v: InvocationView | undefined): boolean => v?.status === 'completed'
const A_WELL_FORMED_UNKNOWN_ID = 'inv_1foAirY4KKzi6An188PvWScGFuTMbnayab'

export const scenarios: Scenario[] = [
  {
    name: 'greet-sync',
    about: 'POST /Greeter/greet (raw and through the official client): 200 with the output',
    run: t => scenario(t, async r => {
      const res = await r.ing('call', 'POST', '/Greeter/greet', 'world')
      r.obs.client.callHasInvocationIdHeader = res.headers.get('x-restate-id')?.startsWith('inv_') ?? false
      await r.client('greet', () => r.ingress.serviceClient(greeter).greet('client'))
    })
  },
  {
    name: 'send-attach-output',
    about: 'send (202), attach, output after completion, output/attach of unknown ids',
    run: t => scenario(t, async r => {
      const send = await r.client('send', () => r.ingress.serviceSendClient(greeter).greet('world'))
      if (send === undefined) throw new Error(`send failed: ${JSON.stringify(r.obs.client.send)}`)
      r.track(send.invocationId)
      await r.client('attachViaClient', () => r.ingress.result(send))
      await r.waitFor(send.invocationId, 'completed', completed)
      await r.ing('output', 'GET', `/restate/invocation/${send.invocationId}/output`)
      await r.ing('attach', 'GET', `/restate/invocation/${send.invocationId}/attach`)
      await r.ing('outputUnknown', 'GET', `/restate/invocation/${A_WELL_FORMED_UNKNOWN_ID}/output`)
      await r.ing('attachUnknown', 'GET', `/restate/invocation/${A_WELL_FORMED_UNKNOWN_ID}/attach`)
      await r.ing('outputMalformed', 'GET', '/restate/invocation/inv_nope/output')
    })
  },
  {
    name: 'idempotent-send',
    about: 'the same send twice with one idempotency-key: same id, PreviouslyAccepted',
    run: t => scenario(t, async r => {
      const id1 = await r.send('first', '/Greeter/greet/send', 'idem', { 'idempotency-key': 'conformance-1' })
      const id2 = await r.send('second', '/Greeter/greet/send', 'idem', { 'idempotency-key': 'conformance-1' })
      r.obs.client.sameId = id1 === id2
      await r.waitFor(id1, 'completed', completed)
      await r.send('afterCompletion', '/Greeter/greet/send', 'idem', { 'idempotency-key': 'conformance-1' })
      await r.ing('syncSameKey', 'POST', '/Greeter/greet', 'idem', { 'idempotency-key': 'conformance-1' })
      // With an idempotency key the client's send handle is attachable.
      const send = await r.client('clientSend', () => r.ingress.serviceSendClient(greeter).greet('keyed', clients.SendOpts.from({ idempotencyKey: 'conformance-2' })))
      if (send !== undefined) await r.client('clientResult', () => r.ingress.result(send))
    })
  },
  {
    name: 'delayed-send',
    about: 'send with delay 2 s: pending (scheduled) until due, output 470 meanwhile, then runs',
    run: t => scenario(t, async r => {
      const send = await r.client('send', () => r.ingress.serviceSendClient(greeter).greet('late', clients.SendOpts.from({ delay: 2000 })))
      if (send === undefined) throw new Error(`send failed: ${JSON.stringify(r.obs.client.send)}`)
      r.track(send.invocationId)
      const v = await r.waitStatus(send.invocationId, 'pending', 5000)
      r.obs.client.scheduledStartAtSet = v?.scheduled_start_at !== null && v?.scheduled_start_at !== undefined
      await r.ing('outputWhilePending', 'GET', `/restate/invocation/${send.invocationId}/output`)
      await r.ing('rawSendIso', 'POST', '/Greeter/greet/send?delay=PT1S', 'iso')
      await r.waitFor(send.invocationId, 'completed', completed, 10_000)
      await r.ing('output', 'GET', `/restate/invocation/${send.invocationId}/output`)
    })
  },
  {
    name: 'scheduled-admin-ops',
    about: 'admin calls on a delayed send that is not due yet: resume, restart-as-new, purge, pause, cancel, kill',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Greeter/greet/send?delay=10s', 'later')
      await r.waitStatus(id, 'pending', 5000)
      await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
      await r.adm('restartAsNew', 'PATCH', `/invocations/${id}/restart-as-new`)
      await r.adm('purge', 'PATCH', `/invocations/${id}/purge`)
      await r.adm('pause', 'PATCH', `/invocations/${id}/pause`)
      await r.snapshot('afterPause', id)
      await r.adm('cancel', 'PATCH', `/invocations/${id}/cancel`)
      await r.waitFor(id, 'gone or completed', v => v === undefined || v.status === 'completed', 5000)
      await r.snapshot('afterCancel', id)
      await r.ing('outputAfterCancel', 'GET', `/restate/invocation/${id}/output`)
      await r.adm('cancelAgain', 'PATCH', `/invocations/${id}/cancel`)
      // kill on another scheduled one
      const id2 = await r.send('send2', '/Greeter/greet/send?delay=10s', 'later')
      await r.waitStatus(id2, 'pending', 5000)
      await r.adm('kill', 'PATCH', `/invocations/${id2}/kill`)
      await r.waitFor(id2, 'gone or completed', v => v === undefined || v.status === 'completed', 5000)
      await r.snapshot('afterKill', id2)
      await r.ing('outputAfterKill', 'GET', `/restate/invocation/${id2}/output`)
    })
  },
  {
    name: 'sleep-suspends',
    about: 'a handler sleeping 3 s (inactivity timeout 1 s): running, suspended, running, completed',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Sleeper/sleep/send', null)
      await r.waitFor(id, 'completed', completed, 10_000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'fail-twice',
    about: 'fails transiently twice, then succeeds: backing-off 1, 2, then completed/success',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/twice/send', null)
      await r.waitFor(id, 'completed', completed, 10_000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'always-fails-then-kill',
    about: 'always fails: backing-off with growing delays; kill; then every admin op on a completed one',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/always/send', null)
      await r.waitFor(id, 'backing-off after the 3rd failure', v => v?.status === 'backing-off' && (v.retry_count ?? 0) >= 3, 10_000)
      await r.ing('outputWhileBackingOff', 'GET', `/restate/invocation/${id}/output`)
      await r.adm('kill', 'PATCH', `/invocations/${id}/kill`)
      await r.waitFor(id, 'completed', completed, 5000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      await r.ing('attach', 'GET', `/restate/invocation/${id}/attach`)
      await r.adm('killAgain', 'PATCH', `/invocations/${id}/kill`)
      await r.adm('cancelCompleted', 'PATCH', `/invocations/${id}/cancel`)
      await r.adm('pauseCompleted', 'PATCH', `/invocations/${id}/pause`)
      await r.adm('resumeCompleted', 'PATCH', `/invocations/${id}/resume`)
      await r.adm('purge', 'PATCH', `/invocations/${id}/purge`)
      await r.waitFor(id, 'gone', v => v === undefined, 5000)
      await r.ing('outputAfterPurge', 'GET', `/restate/invocation/${id}/output`)
      await r.adm('purgeAgain', 'PATCH', `/invocations/${id}/purge`)
      await r.adm('cancelPurged', 'PATCH', `/invocations/${id}/cancel`)
    })
  },
  {
    name: 'terminal',
    about: 'terminal error 422 "nope": sync call answer, completed/failure [422] nope',
    run: t => scenario(t, async r => {
      await r.client('call', () => r.ingress.call({ service: 'Flaky', handler: 'terminal', parameter: null, opts: clients.Opts.from({ input: clients.serde.json, output: clients.serde.json }) }))
      await r.ing('rawCall', 'POST', '/Flaky/terminal', null)
      const id = await r.send('send', '/Flaky/terminal/send', null)
      await r.waitFor(id, 'completed', completed, 5000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      const rn = await r.adm('restartAsNew', 'PATCH', `/invocations/${id}/restart-as-new`)
      if (typeof rn.json?.new_invocation_id === 'string') {
        await r.waitFor(rn.json.new_invocation_id, 'completed', completed, 5000)
        await r.ing('outputOfNew', 'GET', `/restate/invocation/${rn.json.new_invocation_id as string}/output`)
      }
    })
  },
  {
    name: 'max-attempts-pause',
    about: 'retry policy maxAttempts 3, onMaxAttempts pause: paused after the 3rd failure; pause again; resume',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/pauses/send', null)
      const paused = await r.waitStatus(id, 'suspended+paused', 10_000)
      await r.adm('pauseAgain', 'PATCH', `/invocations/${id}/pause`)
      await r.adm('restartAsNewPaused', 'PATCH', `/invocations/${id}/restart-as-new`)
      await r.adm('purgePaused', 'PATCH', `/invocations/${id}/purge`)
      const before = paused?.last_start_at ?? 0
      await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
      const after = await r.waitFor(id, 'a new attempt that ends', v => (v?.last_start_at ?? 0) > before && v?.status !== 'running' && v?.status !== 'ready', 10_000)
      r.obs.client.afterResume = statusLabel(after)
      // After a resume, does it pause again (and after how many attempts)?
      await r.waitStatus(id, 'suspended+paused', 10_000)
      await r.adm('cancelPaused', 'PATCH', `/invocations/${id}/cancel`)
      const v = await r.settle(id, 'afterCancelPaused', 'completed', completed, 2000)
      if (v?.status !== 'completed') {
        await r.adm('resumeCancelled', 'PATCH', `/invocations/${id}/resume`)
        await r.settle(id, 'afterResumeCancelled', 'completed', completed, 3000)
        await r.adm('kill', 'PATCH', `/invocations/${id}/kill`)
        await r.waitFor(id, 'completed', completed, 5000)
      }
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'max-attempts-kill',
    about: 'retry policy maxAttempts 3, onMaxAttempts kill: completed/failure after the 3rd failure',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/kills/send', null)
      await r.waitFor(id, 'completed', completed, 10_000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'object-inbox',
    about: 'two exclusive calls to one object key: the second waits pending; a shared call does not queue',
    run: t => scenario(t, async r => {
      const a = await r.send('sendA', '/Counter/k1/add/send', 1)
      const b = await r.send('sendB', '/Counter/k1/add/send', 2)
      await r.waitStatus(b, 'pending', 3000)
      await r.client('sharedGetWhileBusy', () => r.ingress.objectClient(counter, 'k1').get())
      await r.waitFor(a, 'completed', completed, 5000)
      await r.waitFor(b, 'completed', completed, 5000)
      await r.client('addSync', () => r.ingress.objectClient(counter, 'k1').add(3))
      await r.ing('noKey', 'POST', '/Counter/add', 1)
    })
  },
  {
    name: 'object-cancel-kill-inboxed',
    about: 'cancel, kill, pause, resume on an invocation waiting in an object inbox',
    run: t => scenario(t, async r => {
      const a = await r.send('sendA', '/Counter/k2/add/send', 1)
      const b = await r.send('sendB', '/Counter/k2/add/send', 1)
      const c = await r.send('sendC', '/Counter/k2/add/send', 1)
      const d = await r.send('sendD', '/Counter/k2/add/send', 1)
      await r.waitStatus(d, 'pending', 3000)
      await r.adm('cancelB', 'PATCH', `/invocations/${b}/cancel`)
      await r.adm('killC', 'PATCH', `/invocations/${c}/kill`)
      await r.adm('pauseInboxed', 'PATCH', `/invocations/${d}/pause`)
      await r.adm('resumeInboxed', 'PATCH', `/invocations/${d}/resume`)
      await r.adm('restartAsNewInboxed', 'PATCH', `/invocations/${d}/restart-as-new`)
      await r.waitFor(b, 'completed or gone', v => v === undefined || v.status === 'completed', 5000)
      await r.waitFor(c, 'completed or gone', v => v === undefined || v.status === 'completed', 5000)
      await r.ing('outputB', 'GET', `/restate/invocation/${b}/output`)
      await r.ing('outputC', 'GET', `/restate/invocation/${c}/output`)
      await r.waitFor(a, 'completed', completed, 5000)
      await r.waitFor(d, 'completed', completed, 5000)
    })
  },
  {
    name: 'running-admin-ops',
    about: 'admin calls on a running invocation: resume, restart-as-new, purge; then restart-as-new once completed',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Greeter/slow/send', 'slow')
      await r.waitStatus(id, 'running', 5000)
      await r.adm('resumeRunning', 'PATCH', `/invocations/${id}/resume`)
      await r.adm('restartAsNewRunning', 'PATCH', `/invocations/${id}/restart-as-new`)
      await r.adm('purgeRunning', 'PATCH', `/invocations/${id}/purge`)
      await r.waitFor(id, 'completed', completed, 10_000)
      const rn = await r.adm('restartAsNew', 'PATCH', `/invocations/${id}/restart-as-new`)
      if (typeof rn.json?.new_invocation_id === 'string') {
        const nid: string = rn.json.new_invocation_id
        r.track(nid)
        await r.waitFor(nid, 'completed', completed, 10_000)
        await r.ing('outputOfNew', 'GET', `/restate/invocation/${nid}/output`)
      }
    })
  },
  {
    name: 'pause-running',
    about: 'pause a running invocation (202), then resume it',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Greeter/slow/send', 'paused')
      await r.waitStatus(id, 'running', 5000)
      await r.adm('pause', 'PATCH', `/invocations/${id}/pause`)
      const v = await r.waitFor(id, 'paused or completed', v => v?.paused === true || v?.status === 'completed', 10_000)
      r.obs.client.afterPause = statusLabel(v)
      if (v?.paused === true) {
        await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
        await r.waitFor(id, 'completed', completed, 10_000)
      }
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'pause-backing-off',
    about: 'pause a backing-off invocation, pause again, resume (retries at once), kill',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/always/send', null)
      await r.waitStatus(id, 'backing-off', 5000)
      await r.adm('restartAsNewBackingOff', 'PATCH', `/invocations/${id}/restart-as-new`)
      await r.adm('pause', 'PATCH', `/invocations/${id}/pause`)
      const p = await r.waitStatus(id, 'suspended+paused', 5000)
      await r.adm('pauseAgain', 'PATCH', `/invocations/${id}/pause`)
      const before = p?.last_start_at ?? 0
      await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
      const v = await r.waitFor(id, 'a new attempt that ends', v => (v?.last_start_at ?? 0) > before && v?.status !== 'running' && v?.status !== 'ready', 10_000)
      r.obs.client.afterResume = statusLabel(v)
      await r.adm('kill', 'PATCH', `/invocations/${id}/kill`)
      await r.waitFor(id, 'completed', completed, 5000)
    })
  },
  {
    name: 'suspended-admin-ops',
    about: 'on a suspended invocation: pause, resume, restart-as-new, cancel',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Sleeper/long/send', null)
      await r.waitStatus(id, 'suspended', 5000)
      await r.adm('pause', 'PATCH', `/invocations/${id}/pause`)
      await r.snapshot('afterPause', id)
      await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
      // The real server runs it again, and it suspends again after the inactivity timeout.
      await r.settle(id, 'afterResume', 'suspended again, or completed', v => v?.status === 'completed' || (v?.status === 'suspended' && !v.paused), 5000)
      await r.adm('restartAsNew', 'PATCH', `/invocations/${id}/restart-as-new`)
      await r.adm('cancel', 'PATCH', `/invocations/${id}/cancel`)
      await r.waitFor(id, 'completed', completed, 5000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      await r.ing('attach', 'GET', `/restate/invocation/${id}/attach`)
    })
  },
  {
    name: 'pause-suspended',
    about: 'pause a suspended invocation, then let its timer fire: does it finish, or stay paused?',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Sleeper/sleep/send', null)
      await r.waitStatus(id, 'suspended', 5000)
      await r.adm('pause', 'PATCH', `/invocations/${id}/pause`)
      await r.snapshot('afterPause', id)
      const v = await r.settle(id, 'afterWake', 'completed or paused', v => v?.status === 'completed' || v?.paused === true, 6000)
      if (v?.paused === true) {
        await r.adm('resume', 'PATCH', `/invocations/${id}/resume`)
        await r.waitFor(id, 'completed', completed, 10_000)
      }
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
    })
  },
  {
    name: 'cancel-running',
    about: 'cancel a running invocation; a sync caller and an attacher get the error; deprecated DELETE',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Greeter/slow/send', 'c')
      await r.waitStatus(id, 'running', 5000)
      const attach = r.ing('attachWhileRunning', 'GET', `/restate/invocation/${id}/attach`)
      await r.adm('cancel', 'PATCH', `/invocations/${id}/cancel`)
      await attach
      await r.waitFor(id, 'completed', completed, 5000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      const id2 = await r.send('send2', '/Greeter/slow/send', 'd')
      await r.waitStatus(id2, 'running', 5000)
      await r.adm('deleteKill', 'DELETE', `/invocations/${id2}?mode=Kill`)
      await r.waitFor(id2, 'completed', completed, 5000)
      await r.adm('deletePurge', 'DELETE', `/invocations/${id2}?mode=Purge`)
      await r.waitFor(id2, 'gone', v => v === undefined, 5000)
    })
  },
  {
    name: 'workflow',
    about: 'workflow run once per key: a second run (send and sync) while running and after completion',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Signup/w1/run/send', 'a@b.c')
      await r.waitStatus(id, 'running', 5000)
      const sendAgain = await r.ing('sendAgainWhileRunning', 'POST', '/Signup/w1/run/send', 'x@y.z')
      r.obs.client.sendAgainSameId = sendAgain.json?.invocationId === id
      const sync = r.ing('syncWhileRunning', 'POST', '/Signup/w1/run', 'x@y.z')
      await r.waitFor(id, 'completed', completed, 10_000)
      await sync
      await r.ing('sendAfterCompletion', 'POST', '/Signup/w1/run/send', 'x@y.z')
      await r.ing('syncAfterCompletion', 'POST', '/Signup/w1/run', 'x@y.z')
      await r.client('workflowAttach', () => r.ingress.workflowClient(signup, 'w1').workflowAttach())
      await r.client('workflowOutput', () => r.ingress.workflowClient(signup, 'w1').workflowOutput())
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      await r.ing('workflowAttachRaw', 'GET', '/restate/workflow/Signup/w1/attach')
      await r.ing('workflowOutputRaw', 'GET', '/restate/workflow/Signup/w1/output')
      await r.ing('workflowOutputUnknownKey', 'GET', '/restate/workflow/Signup/nobody/output')
      await r.adm('restartAsNew', 'PATCH', `/invocations/${id}/restart-as-new`)
    })
  },
  {
    name: 'errors',
    about: 'error answers of ingress and admin',
    run: t => scenario(t, async r => {
      await r.ing('unknownService', 'POST', '/Nope/greet', 'x')
      await r.ing('unknownHandler', 'POST', '/Greeter/nope', 'x')
      await r.ing('objectWithoutKey', 'POST', '/Counter/add', 1)
      await r.ing('notJson', 'POST', '/Greeter/greet', '{nope', { 'content-type': 'application/json' })
      await r.ing('badDelay', 'POST', '/Greeter/greet/send?delay=abc', 'x')
      await r.adm('cancelMalformed', 'PATCH', '/invocations/inv_nope/cancel')
      await r.adm('cancelUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/cancel`)
      await r.adm('killUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/kill`)
      await r.adm('purgeUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/purge`)
      await r.adm('pauseUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/pause`)
      await r.adm('resumeUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/resume`)
      await r.adm('restartAsNewUnknown', 'PATCH', `/invocations/${A_WELL_FORMED_UNKNOWN_ID}/restart-as-new`)
      await r.adm('cancelBadLength', 'PATCH', '/invocations/inv_1abc/cancel')
      await r.adm('cancelUnknownV4', 'PATCH', `/v4/invocations/${A_WELL_FORMED_UNKNOWN_ID}/cancel`)
      await r.ing('outputBadLength', 'GET', '/restate/invocation/inv_1abc/output')
      await r.adm('health', 'GET', '/health')
      await r.ing('ingressHealth', 'GET', '/restate/health')
      // The real server lists the services in no stable order.
      r.reshape('ingressHealth', b => ({ services: [...(b?.services ?? [])].sort() }))
    })
  },
  {
    name: 'catalog',
    about: 'GET /services, /services/{name}, /version: names, types, handler kinds',
    run: t => scenario(t, async r => {
      const handlers = (hs: any[]): unknown => [...(hs ?? [])]
        .map(h => ({ name: h.name, ty: 'ty' in h ? h.ty : '<absent>' }))
        .sort((a, b) => a.name.localeCompare(b.name))
      const service = (s: any): unknown => ({ name: s.name, ty: s.ty, handlers: handlers(s.handlers) })
      await r.adm('services', 'GET', '/services')
      r.reshape('services', b => ({ services: [...(b?.services ?? [])].map(service).sort((a: any, b: any) => a.name.localeCompare(b.name)) }))
      await r.adm('counter', 'GET', '/services/Counter')
      r.reshape('counter', service)
      await r.adm('unknownService', 'GET', '/services/Nope')
      await r.adm('version', 'GET', '/version')
      r.reshape('version', b => ({ version: b?.version, min_admin_api_version: b?.min_admin_api_version, max_admin_api_version: b?.max_admin_api_version }))
    })
  },
  {
    name: 'sql-rows',
    about: 'POST /query: SELECT columns FROM sys_invocation WHERE id IN (…) of a completed, a failed and a scheduled invocation; COUNT(*)',
    run: t => scenario(t, async r => {
      const ok = await r.send('sendOk', '/Greeter/greet/send', 'sql')
      const failed = await r.send('sendTerminal', '/Flaky/terminal/send', null)
      const later = await r.send('sendLater', '/Greeter/greet/send?delay=30s', 'later')
      await r.waitFor(ok, 'completed', completed, 5000)
      await r.waitFor(failed, 'completed', completed, 5000)
      await r.waitStatus(later, 'pending', 5000)
      const ids = [ok, failed, later].map(id => `'${id}'`).join(', ')
      const json = { accept: 'application/json' }
      await r.adm('rows', 'POST', '/query', {
        query: 'SELECT id, target, target_service_name, target_service_key, target_handler_name, target_service_ty, invoked_by, ' +
          `status, completion_result, completion_failure, created_at FROM sys_invocation WHERE id IN (${ids}) ORDER BY created_at`
      }, json)
      // Rows in a stable order (their masked ids), whatever the creation times.
      r.reshape('rows', b => ({ rows: [...(b?.rows ?? [])].sort((x: any, y: any) => String(x.id).localeCompare(String(y.id))) }))
      await r.adm('count', 'POST', '/query', { query: `SELECT COUNT(*) FROM sys_invocation WHERE id IN (${ids}) AND status = 'completed'` }, json)
      await r.adm('cancelLater', 'PATCH', `/invocations/${later}/cancel`)
    })
  },
  {
    name: 'cancel-backing-off',
    about: 'cancel an invocation that is backing off',
    run: t => scenario(t, async r => {
      const id = await r.send('send', '/Flaky/always/send', null)
      await r.waitStatus(id, 'backing-off', 5000)
      await r.adm('cancel', 'PATCH', `/invocations/${id}/cancel`)
      await r.settle(id, 'afterCancel', 'completed', completed, 5000)
      await r.ing('output', 'GET', `/restate/invocation/${id}/output`)
      const id2 = await r.send('send2', '/Flaky/always/send', null)
      await r.waitStatus(id2, 'backing-off', 5000)
      await r.adm('deleteCancel', 'DELETE', `/invocations/${id2}?mode=Cancel`)
      await r.settle(id2, 'afterDeleteCancel', 'completed', completed, 5000)
      for (const x of [id, id2]) {
        if (r.t.poller.trace(x).last?.status !== 'completed') await r.adm(`kill-${x === id ? 'A' : 'B'}`, 'PATCH', `/invocations/${x}/kill`)
      }
    })
  }
]
