// A real Restate SDK service for the conformance suite. fixture.ts describes the same handlers
// to the emulator; keep the two in step.
import '../helpers/polyfill.js'
import * as restate from '@restatedev/restate-sdk'
import { createServer, type Http2Server } from 'node:http2'

const wait = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

// Handlers that run longer than the server's (deliberately short) inactivity timeout without
// touching the journal get a long one of their own, so that they keep running instead of being
// asked to suspend.
const longRunning = { inactivityTimeout: 60_000 }

/** Attempt counters per invocation id (the SDK runs in this process, so a module Map works). */
const attempts = new Map<string, number>()
function nextAttempt (ctx: restate.Context): number {
  const id = String(ctx.request().id)
  const n = (attempts.get(id) ?? 0) + 1
  attempts.set(id, n)
  return n
}

export const greeter = restate.service({
  name: 'Greeter',
  handlers: {
    greet: async (_ctx: restate.Context, name: string): Promise<string> => {
      await wait(10)
      return `Hello ${name}!`
    },
    // Runs 2.5 s awaiting a durable sleep (so that cancel/pause signals reach it) without
    // suspending (its own inactivity timeout is long).
    slow: restate.handlers.handler(longRunning, async (ctx: restate.Context, name: string): Promise<string> => {
      await ctx.sleep(2500)
      return `Hello ${name}!`
    })
  }
})

export const sleeper = restate.service({
  name: 'Sleeper',
  handlers: {
    // Sleeps 3 s: longer than the inactivity timeout (1 s), so the invocation suspends after
    // running 1 s. Woken at 3 s, it works 0.9 s more (below the inactivity timeout), then returns:
    // each of its two runs lasts about 1 s, as the fixture says (duration 1s, suspend 2s).
    sleep: async (ctx: restate.Context): Promise<string> => {
      await ctx.sleep(3000)
      await wait(900)
      return 'slept'
    },
    // Sleeps a minute: a suspended invocation that stays suspended for the whole scenario.
    long: async (ctx: restate.Context): Promise<string> => {
      await ctx.sleep(60_000)
      return 'slept'
    }
  }
})

// Each attempt of a failing handler first awaits a new short durable sleep (attempt n awaits n
// sleeps: the first n - 1 replay from the journal, the last is new), as real handlers await
// something before they fail. A cancellation reaches a handler only at an await of something not
// yet completed: a handler that throws before (or after replaying only completed steps) never
// sees it, and on the real server an invocation cancelled while backing off then keeps retrying.
async function attemptThat (ctx: restate.Context, attempt: number, fail: boolean): Promise<void> {
  for (let i = 0; i < attempt; i++) await ctx.sleep(10)
  if (fail) throw new Error('boom transient')
}

export const flaky = restate.service({
  name: 'Flaky',
  handlers: {
    // Fails transiently on the first two attempts, then succeeds.
    twice: async (ctx: restate.Context): Promise<string> => {
      const n = nextAttempt(ctx)
      await attemptThat(ctx, n, n <= 2)
      return 'ok'
    },
    always: async (ctx: restate.Context): Promise<string> => {
      await attemptThat(ctx, nextAttempt(ctx), true)
      return 'never'
    },
    terminal: async (): Promise<string> => {
      throw new restate.TerminalError('nope', { errorCode: 422 })
    },
    // Always fails; gives up after 3 attempts and pauses.
    pauses: restate.handlers.handler({ retryPolicy: { initialInterval: 200, maxAttempts: 3, onMaxAttempts: 'pause' } },
      async (ctx: restate.Context): Promise<string> => { await attemptThat(ctx, nextAttempt(ctx), true); return 'never' }),
    // Always fails; gives up after 3 attempts and is killed.
    kills: restate.handlers.handler({ retryPolicy: { initialInterval: 200, maxAttempts: 3, onMaxAttempts: 'kill' } },
      async (ctx: restate.Context): Promise<string> => { await attemptThat(ctx, nextAttempt(ctx), true); return 'never' })
  }
})

export const counter = restate.object({
  name: 'Counter',
  handlers: {
    add: restate.handlers.object.exclusive(async (ctx: restate.ObjectContext, n: number): Promise<void> => {
      await wait(1000)
      const count = (await ctx.get<number>('count')) ?? 0
      ctx.set('count', count + (typeof n === 'number' ? n : 1))
    }),
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext): Promise<number> => {
      return (await ctx.get<number>('count')) ?? 0
    })
  }
})

export const signup = restate.workflow({
  name: 'Signup',
  handlers: {
    run: restate.handlers.workflow.workflow(longRunning, async (ctx: restate.WorkflowContext, email: string): Promise<string> => {
      await ctx.sleep(1500)
      return `welcome ${email}`
    })
  }
})

export interface RunningService {
  port: number
  uri: string
  close: () => Promise<void>
}

/** Serves the SDK services over HTTP/2 on a free loopback port. */
export async function startService (): Promise<RunningService> {
  const handler = restate.createEndpointHandler({
    services: [greeter, sleeper, flaky, counter, signup],
    // The SDK logs every attempt and every (expected) failure with its stack: keep the test output quiet.
    logger: () => {}
  })
  const server: Http2Server = createServer(handler)
  const sessions = new Set<import('node:http2').ServerHttp2Session>()
  server.on('session', s => { sessions.add(s); s.once('close', () => sessions.delete(s)) })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  return {
    port,
    uri: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sessions) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
