// Every DELIBERATE difference between the real Restate server and the emulator lives here, and
// only here. The real server's raw answers are translated into the emulator's (seed schema)
// terms before anything is compared; nothing else in the suite papers over a difference.
//
// 1. Statuses. The real server has two statuses that the seed schema lacks:
//      scheduled (a delayed send not yet due)  -> pending
//      paused    (by PATCH …/pause, or on max attempts with on-max-attempts = "pause")
//                                              -> suspended, with paused: true
//    (The real server may also report `inboxed` in some versions; it is the seed's pending.)
// 2. retry_count. The real server counts ATTEMPTS: 1 during the first attempt, n during the
//    n-th. The seed defines it as the number of RETRIES scheduled so far. The two agree while
//    backing off (after the n-th failure both show n); elsewhere the seed's is the real one - 1.
//    Once completed, the real server drops retry_count (the column is NULL, like last_failure,
//    last_start_at and next_retry_at); the seed requires a number, so the emulator keeps its count.
//    retry_count is therefore compared only where the real server has one (mapRealRetryCount
//    answers null).
// 3. last_failure. The real server keeps the SDK's text, `[500 Internal] boom transient\n<stack>`
//    (the reason phrase of the code, then the whole stack); the emulator keeps `[500] boom transient`.
// 4. Completed invocations: only the outcome is compared (status, completion_result,
//    completion_failure): the real server clears retry_count/last_failure/next_retry_at on some
//    completions and keeps them on others (a kill while backing off keeps them). See
//    comparableFinal in compare.ts.
// 5. Values not compared at all: NOT_COMPARED below.
// Ids, timestamps and durations differ by nature; they are masked (observe.ts) or compared with
// the tolerances written in compare.ts.

export type SeedStatus = 'pending' | 'ready' | 'running' | 'backing-off' | 'suspended' | 'completed'
export const SEED_STATUSES: readonly SeedStatus[] = ['pending', 'ready', 'running', 'backing-off', 'suspended', 'completed']

export function mapRealStatus (raw: string): { status: SeedStatus, paused: boolean } {
  switch (raw) {
    case 'scheduled':
    case 'inboxed':
      return { status: 'pending', paused: false }
    case 'paused':
      return { status: 'suspended', paused: true }
    default:
      if ((SEED_STATUSES as readonly string[]).includes(raw)) return { status: raw as SeedStatus, paused: false }
      throw new Error(`real server reported an unknown status '${raw}'`)
  }
}

/** The real server's retry_count (attempts) in the seed's terms (retries). */
export function mapRealRetryCount (realRetryCount: number | undefined, rawStatus: string): number | null {
  if (realRetryCount === undefined) return null
  const attempts = realRetryCount
  if (rawStatus === 'backing-off') return attempts
  return Math.max(0, attempts - 1)
}

/** `[500 Internal] boom transient\nError: boom transient\n    at …` -> `[500] boom transient` */
export function mapRealFailure (text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null
  const firstLine = text.split('\n')[0]
  const m = /^\[(\d+)(?: [^\]]*)?\] ?(.*)$/.exec(firstLine)
  return m === null ? firstLine : `[${m[1]}] ${m[2]}`
}

/**
 * Recorded values that are NOT compared, each with the reason. Keys are `<scenario>.<section>.<label>`.
 * Object state: the emulator runs no user code, so a handler that returns object state
 *    (Counter.get) answers the fixture's output, not the count.
 */
export const NOT_COMPARED: Record<string, string> = {
  'object-inbox.client.sharedGetWhileBusy': 'Counter.get returns object state, which the emulator does not keep (no user code)'
}
