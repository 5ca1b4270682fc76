import type { EmulatorCore } from '../core/emulator.js'
import type { Completion } from '../core/store.js'

/** What the HTTP plugins share: the emulator and a few facts about how it is served. */
export interface HttpContext {
  core: EmulatorCore
  /** The ingress base URL as clients reach it (for `/version`). */
  ingressUrl: () => string
  adminToken?: string
  /** Requests waiting for a completion; answered 503 when the server shuts down. */
  waiting: Set<(completion: Completion) => void>
  /** Live event streams; ended when the server shuts down. */
  streams: Set<() => void>
}

/**
 * Waits for an invocation to complete, unless the server shuts down first (then a 503
 * completion, so that no request hangs past `close()`).
 */
export async function waitForCompletion (ctx: HttpContext, id: string): Promise<Completion> {
  const completion = ctx.core.engine.awaitCompletion(id)
  let release: ((c: Completion) => void) | undefined
  const shutdown = new Promise<Completion>(resolve => {
    release = resolve
    ctx.waiting.add(resolve)
  })
  try {
    return await Promise.race([completion, shutdown])
  } finally {
    ctx.waiting.delete(release as (c: Completion) => void)
  }
}
