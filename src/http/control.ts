import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifySchemaCompiler } from 'fastify'
import { AdminError } from './errors.js'
import type { HttpContext } from './context.js'
import { Invocation } from '../core/invocation.js'
import { InvocationStatus } from '../core/invocation.js'
import { Fixture, Traffic } from '../core/behavior.js'
import { FaultRule, FaultRuleInput } from '../core/faults.js'
import { ManualClock, iso, type ClockRun } from '../core/clock.js'
import { Snapshot } from '../core/emulator.js'
import { parseDuration } from '../core/duration.js'
import { badRequest, conflict, notFound } from '../core/errors.js'
import { fixtureJsonSchema } from '../fixture-schema.js'
import { validateFixture } from '../fixture.js'

const tags = ['emulator']

/**
 * Leaves a body as sent, for the engine to check record by record, naming the bad field. Ajv's
 * type coercion (on app-wide, for query strings) would turn a record's `null` key or failure
 * into "" on its way through the string branch of the union.
 */
const bodyAsGiven: FastifySchemaCompiler<unknown> = () => value => ({ value })
const MAX_INSERT = 10_000
const errors = { 400: AdminError, 404: AdminError, 409: AdminError }

const ClockState = Type.Object({
  mode: Type.Union([Type.Literal('real'), Type.Literal('manual')]),
  now: Type.String({ format: 'date-time' }),
  speed: Type.Optional(Type.Number()),
  pending_timers: Type.Integer({ description: 'Timers that keep the emulator busy (retention and traffic timers excluded)' }),
  next_timer_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})

const ClockRunResult = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  fired: Type.Integer({ description: 'Timers fired, in time order' }),
  truncated: Type.Boolean({ description: 'True when the run stopped at its timer budget (250,000 for an advance) with due timers left: the clock is at `to`; call again to go on' }),
  clock: ClockState
})

const TrafficStatus = Type.Object({
  enabled: Type.Boolean(),
  rate: Type.Number(),
  generated: Type.Integer(),
  rejected: Type.Integer(),
  mix: Type.Array(Type.Object({ target: Type.String(), weight: Type.Number() }))
})

/** The emulator's own control surface, under `/_emulator`. */
export function controlRoutes (ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function control (app) {
    const core = () => ctx.core

    const clockState = () => {
      const clock = core().clock
      const next = clock.nextAt()
      return {
        mode: clock.mode,
        now: iso(clock.now()),
        ...('speed' in clock ? { speed: clock.speed as number } : {}),
        pending_timers: clock.pendingWork(),
        next_timer_at: next === undefined ? null : iso(next)
      }
    }
    const manual = (): ManualClock => {
      const clock = core().clock
      if (!(clock instanceof ManualClock)) throw conflict('the clock is real; start with --clock manual to move time by hand')
      return clock
    }
    const withClock = (run: ClockRun) => ({ ...run, clock: clockState() })

    app.post('/reset', {
      schema: { tags, summary: 'Back to the start state: fixture, clock, seed, no rules', response: { 204: Type.Unknown() } }
    }, async (_request, reply) => {
      core().reset()
      return reply.code(204).send()
    })

    app.get('/clock', { schema: { tags, response: { 200: ClockState } } }, async () => clockState())

    app.post('/clock/advance', {
      schema: {
        tags,
        summary: 'Move a manual clock forward by a duration or to a time, firing due timers in order',
        body: Type.Union([
          Type.Object({ by: Type.Union([Type.String(), Type.Number({ minimum: 0 })]) }, { additionalProperties: false }),
          Type.Object({ to: Type.String({ format: 'date-time' }) }, { additionalProperties: false })
        ]),
        response: { 200: ClockRunResult, ...errors }
      }
    }, async (request) => {
      const clock = manual()
      const body = request.body
      if ('by' in body) {
        const ms = parseDuration(body.by)
        if (ms === undefined) throw badRequest(`body/by: '${body.by}' is not a duration`)
        return withClock(clock.advance(ms))
      }
      const to = Date.parse(body.to)
      if (to < clock.now()) throw badRequest(`body/to: ${body.to} is before the clock's time ${iso(clock.now())}`)
      return withClock(clock.advanceTo(to))
    })

    app.post('/clock/run-until-idle', {
      schema: { tags, summary: 'Fire timers until no work is left (retention and demo traffic excluded)', response: { 200: ClockRunResult, ...errors } }
    }, async () => withClock(manual().runUntilIdle()))

    app.get('/fixture', { schema: { tags, response: { 200: Fixture } } }, async () => core().engine.fixture)

    app.get('/fixture/schema', {
      schema: { tags, summary: 'JSON Schema of the fixture format', response: { 200: Type.Unknown() } }
    }, async () => fixtureJsonSchema())

    app.put('/fixture', {
      schema: {
        tags,
        summary: 'Replace the catalog and behaviours; invocations in flight keep theirs',
        body: Type.Unknown(),
        response: { 200: Fixture, ...errors }
      }
    }, async (request) => {
      const fixture = validateFixture(request.body, 'body')
      core().traffic.stop()
      core().engine.setFixture(fixture)
      if (fixture.traffic !== undefined && fixture.traffic.enabled !== false) core().startTraffic(fixture.traffic)
      return fixture
    })

    app.post('/invocations', {
      schema: {
        tags,
        summary: 'Insert invocation records as given (each must satisfy the seed schema)',
        body: Type.Union([Invocation, Type.Array(Invocation, { maxItems: MAX_INSERT })]),
        response: { 201: Type.Object({ invocations: Type.Array(Invocation) }), ...errors }
      },
      validatorCompiler: bodyAsGiven
    }, async (request, reply) => {
      const body: unknown = request.body
      const records = Array.isArray(body) ? body as unknown[] : [body]
      if (records.length > MAX_INSERT) throw badRequest(`body: at most ${MAX_INSERT} records at once, got ${records.length}`)
      return reply.code(201).send({ invocations: core().engine.insert(records) })
    })

    app.post('/invocations/:id/transition', {
      schema: {
        tags,
        summary: 'Force a lifecycle move; an illegal one is refused with 409',
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({ to: InvocationStatus }, { additionalProperties: false }),
        response: { 200: Invocation, ...errors }
      }
    }, async (request) => core().engine.transition(request.params.id, request.body.to))

    app.get('/faults', { schema: { tags, response: { 200: Type.Object({ faults: Type.Array(FaultRule) }) } } }, async () => ({
      faults: core().engine.faults.list()
    }))

    app.post('/faults', {
      schema: { tags, summary: 'Add a fault rule; it applies to the next attempts of every matching invocation', body: FaultRuleInput, response: { 201: FaultRule, ...errors } }
    }, async (request, reply) => {
      try {
        return reply.code(201).send(core().engine.faults.add(request.body))
      } catch (err) {
        throw badRequest(`body/effect: ${(err as Error).message}`)
      }
    })

    app.delete('/faults', { schema: { tags, summary: 'Remove every fault rule', response: { 204: Type.Unknown() } } }, async (_request, reply) => {
      core().engine.faults.clear()
      return reply.code(204).send()
    })

    app.delete('/faults/:id', {
      schema: { tags, params: Type.Object({ id: Type.String() }), response: { 204: Type.Unknown(), ...errors } }
    }, async (request, reply) => {
      if (!core().engine.faults.remove(request.params.id)) throw notFound(`no fault rule '${request.params.id}'`)
      return reply.code(204).send()
    })

    app.get('/snapshot', { schema: { tags, response: { 200: Snapshot } } }, async () => core().snapshot())

    app.put('/snapshot', {
      schema: { tags, summary: 'Replace all state with a snapshot', body: Type.Unknown(), response: { 200: Type.Object({ invocations: Type.Integer() }), ...errors } }
    }, async (request) => {
      core().restore(request.body)
      return { invocations: core().engine.store.size }
    })

    app.get('/traffic', { schema: { tags, response: { 200: TrafficStatus } } }, async () => core().traffic.status())

    app.post('/traffic', {
      schema: {
        tags,
        summary: 'Start (or retune) demo traffic: arrivals per emulated second over a mix of targets',
        body: Type.Partial(Traffic),
        response: { 200: TrafficStatus, ...errors }
      }
    }, async (request) => {
      const base = core().engine.fixture.traffic
      core().startTraffic({ ...base, ...request.body, rate: request.body.rate ?? base?.rate ?? 5 })
      return core().traffic.status()
    })

    app.delete('/traffic', { schema: { tags, response: { 200: TrafficStatus } } }, async () => {
      core().traffic.stop()
      return core().traffic.status()
    })

    app.get('/stats', {
      schema: {
        tags,
        summary: 'Counts per status and totals',
        response: {
          200: Type.Object({
            invocations: Type.Integer(),
            by_status: Type.Record(Type.String(), Type.Integer()),
            seed: Type.Integer(),
            last_event_id: Type.Integer()
          })
        }
      }
    }, async () => ({
      invocations: core().engine.store.size,
      by_status: core().engine.counts(),
      seed: core().random.seed,
      last_event_id: core().events.lastId
    }))
  }
}
