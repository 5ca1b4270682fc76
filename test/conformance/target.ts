// A "target" is a running Restate-like server the scenarios talk to: the real restate-server or
// the emulator. Scenarios only see this interface, so the same code drives both.
import { mapRealFailure, mapRealRetryCount, mapRealStatus, type SeedStatus } from './deliberate.js'

/** One reading of an invocation, in the seed schema's terms (see deliberate.ts). */
export interface InvocationView {
  id: string
  status: SeedStatus
  paused: boolean
  /** The status exactly as the target reported it. */
  rawStatus: string
  /** null: the target has none (the real server clears it once completed, see deliberate.ts). */
  retry_count: number | null
  last_failure: string | null
  next_retry_at: number | null
  last_start_at: number | null
  modified_at: number | null
  scheduled_start_at: number | null
  completion_result: string | null
  completion_failure: string | null
}

export interface Target {
  name: 'real' | 'emulator'
  ingressUrl: string
  adminUrl: string
  /** Reads one invocation; undefined when the target does not know it (never existed, or purged). */
  readStatus: (id: string) => Promise<InvocationView | undefined>
  /** Reads several at once (the poller uses it; the real server answers one SQL query). */
  readMany: (ids: string[]) => Promise<Map<string, InvocationView>>
}

const ID_RE = /^inv_[0-9A-Za-z]+$/

function ms (v: unknown): number | null {
  if (typeof v === 'number') return v
  if (typeof v !== 'string' || v === '') return null
  const t = Date.parse(v)
  return Number.isNaN(t) ? null : t
}

function str (v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

// `SELECT *`, not a column list: with a column list, restate-server 1.7.12 leaves some columns out
// (a scheduled invocation then has no scheduled_start_at).

/** Runs SQL on the real server's admin API (`POST /query`, JSON answer). */
export async function realQuery (adminUrl: string, query: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${adminUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query })
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST ${adminUrl}/query → ${res.status} ${text}`)
  return (JSON.parse(text) as { rows: Array<Record<string, unknown>> }).rows
}

export function realRowToView (row: Record<string, unknown>): InvocationView {
  const rawStatus = String(row.status)
  const { status, paused } = mapRealStatus(rawStatus)
  return {
    id: String(row.id),
    status,
    paused,
    rawStatus,
    retry_count: mapRealRetryCount(typeof row.retry_count === 'number' ? row.retry_count : undefined, rawStatus),
    last_failure: mapRealFailure(str(row.last_failure)),
    next_retry_at: ms(row.next_retry_at),
    last_start_at: ms(row.last_start_at),
    modified_at: ms(row.modified_at),
    scheduled_start_at: ms(row.scheduled_start_at),
    completion_result: str(row.completion_result),
    completion_failure: str(row.completion_failure)
  }
}

export function realTarget (ingressUrl: string, adminUrl: string): Target {
  const readMany = async (ids: string[]): Promise<Map<string, InvocationView>> => {
    const out = new Map<string, InvocationView>()
    const valid = ids.filter(id => ID_RE.test(id))
    if (valid.length === 0) return out
    const rows = await realQuery(adminUrl,
      `SELECT * FROM sys_invocation WHERE id IN (${valid.map(id => `'${id}'`).join(', ')})`)
    for (const row of rows) out.set(String(row.id), realRowToView(row))
    return out
  }
  return {
    name: 'real',
    ingressUrl,
    adminUrl,
    readMany,
    readStatus: async (id) => (await readMany([id])).get(id)
  }
}

/** The emulator's `GET /invocations/{id}` record, already in the seed's terms. */
export function emulatorRecordToView (rec: Record<string, unknown>): InvocationView {
  const rawStatus = String(rec.status)
  return {
    id: String(rec.id),
    status: rawStatus as SeedStatus,
    paused: rec.paused === true,
    rawStatus,
    retry_count: typeof rec.retry_count === 'number' ? rec.retry_count : null,
    last_failure: str(rec.last_failure),
    next_retry_at: ms(rec.next_retry_at),
    last_start_at: ms(rec.last_start_at),
    modified_at: ms(rec.modified_at),
    scheduled_start_at: ms(rec.scheduled_start_at),
    completion_result: str(rec.completion_result),
    completion_failure: str(rec.completion_failure)
  }
}

export function emulatorTarget (ingressUrl: string, adminUrl: string): Target {
  const readStatus = async (id: string): Promise<InvocationView | undefined> => {
    const res = await fetch(`${adminUrl}/invocations/${encodeURIComponent(id)}`)
    const text = await res.text()
    if (res.status === 404) return undefined
    if (res.status !== 200) throw new Error(`GET ${adminUrl}/invocations/${id} → ${res.status} ${text}`)
    return emulatorRecordToView(JSON.parse(text) as Record<string, unknown>)
  }
  return {
    name: 'emulator',
    ingressUrl,
    adminUrl,
    readStatus,
    // One list request per poll (newest first, up to 1000) rather than one GET per invocation:
    // the emulator shares this process, and hundreds of requests a second would slow both.
    // Invocations not in that page are read one by one.
    readMany: async (ids) => {
      const out = new Map<string, InvocationView>()
      const wanted = new Set(ids)
      const res = await fetch(`${adminUrl}/invocations?limit=1000`)
      const text = await res.text()
      if (res.status !== 200) throw new Error(`GET ${adminUrl}/invocations?limit=1000 → ${res.status} ${text}`)
      const page = JSON.parse(text) as { invocations: Array<Record<string, unknown>>, next_cursor?: string | null }
      for (const rec of page.invocations) {
        const id = String(rec.id)
        if (wanted.has(id)) out.set(id, emulatorRecordToView(rec))
      }
      if (page.next_cursor !== null && page.next_cursor !== undefined) {
        const missing = ids.filter(id => !out.has(id))
        const views = await Promise.all(missing.map(readStatus))
        views.forEach((v, i) => { if (v !== undefined) out.set(missing[i], v) })
      }
      return out
    }
  }
}
