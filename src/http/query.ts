import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AdminError } from './errors.js'
import type { HttpContext } from './context.js'
import { RESTATE_VERSION } from './admin.js'
import type { Invocation } from '../core/invocation.js'
import { EmulatorError, badRequest } from '../core/errors.js'
import { SqlError, prepareQuery, type ColumnType, type SqlRow, type SqlTable, type SqlValue } from '../core/sql.js'

/**
 * Restate's `sys_invocation` columns that the emulator fills, in the real server's `SELECT *`
 * order. (The real table has a few more, about vqueues, scopes, protocol versions and
 * suspension details, which the emulator has nothing to put in.)
 */
export const SYS_INVOCATION: SqlTable = {
  name: 'sys_invocation',
  columns: [
    ['id', 'string'],
    ['target', 'string'],
    ['target_service_name', 'string'],
    ['target_service_key', 'string'],
    ['target_handler_name', 'string'],
    ['target_service_ty', 'string'],
    ['idempotency_key', 'string'],
    ['invoked_by', 'string'],
    ['invoked_by_service_name', 'string'],
    ['invoked_by_id', 'string'],
    ['invoked_by_target', 'string'],
    ['pinned_deployment_id', 'string'],
    ['trace_id', 'string'],
    ['journal_size', 'number'],
    ['created_at', 'timestamp'],
    ['created_using_restate_version', 'string'],
    ['modified_at', 'timestamp'],
    ['inboxed_at', 'timestamp'],
    ['scheduled_at', 'timestamp'],
    ['scheduled_start_at', 'timestamp'],
    ['running_at', 'timestamp'],
    ['completed_at', 'timestamp'],
    ['completion_retention', 'string'],
    ['journal_retention', 'string'],
    ['retry_count', 'number'],
    ['last_start_at', 'timestamp'],
    ['next_retry_at', 'timestamp'],
    ['last_attempt_deployment_id', 'string'],
    ['last_failure', 'string'],
    ['last_failure_error_code', 'string'],
    ['status', 'string'],
    ['completion_result', 'string'],
    ['completion_failure', 'string']
  ] satisfies Array<readonly [string, ColumnType]>
}

/** Restate's own status name: `scheduled`, `inboxed` and `paused` are folded into the seed's six. */
export function restateStatus (record: Invocation): string {
  if (record.status === 'pending') {
    if (record.inboxed_at !== undefined) return 'inboxed'
    if (record.scheduled_start_at !== undefined) return 'scheduled'
    return 'pending'
  }
  if (record.status === 'suspended' && record.paused === true) return 'paused'
  return record.status
}

/**
 * One invocation as a `sys_invocation` row, as restate-server 1.7.12 shows it: the attempt
 * columns (retry_count, last_start_at, next_retry_at, last_attempt_deployment_id, last_failure,
 * last_failure_error_code) exist only while an attempt is running or backing off, and
 * retry_count then counts attempts (1 during the first), not retries.
 */
export function sysInvocationRow (record: Invocation, retention: string): SqlRow {
  const status = restateStatus(record)
  const inAttempt = record.status === 'running' || record.status === 'backing-off'
  const retries = record.retry_count ?? 0
  const row: Record<string, SqlValue | undefined> = {
    id: record.id,
    target: record.target,
    target_service_name: record.target_service_name,
    target_service_key: record.target_service_key ?? undefined,
    target_handler_name: record.target_handler_name,
    target_service_ty: record.target_service_ty,
    idempotency_key: record.idempotency_key,
    invoked_by: record.invoked_by,
    invoked_by_service_name: stringField(record, 'invoked_by_service_name'),
    invoked_by_id: record.invoked_by_id,
    invoked_by_target: record.invoked_by_target,
    pinned_deployment_id: record.deployment_id,
    trace_id: record.trace_id,
    journal_size: record.journal_size === 0 ? undefined : record.journal_size,
    created_at: record.created_at,
    created_using_restate_version: RESTATE_VERSION,
    modified_at: record.modified_at,
    inboxed_at: record.inboxed_at,
    scheduled_at: record.scheduled_at ?? (record.scheduled_start_at === undefined ? undefined : record.created_at),
    scheduled_start_at: record.scheduled_start_at,
    running_at: record.running_at,
    completed_at: record.completed_at,
    completion_retention: retention,
    journal_retention: retention,
    retry_count: !inAttempt ? undefined : record.status === 'running' ? retries + 1 : retries,
    last_start_at: inAttempt ? record.last_start_at : undefined,
    next_retry_at: inAttempt ? record.next_retry_at ?? undefined : undefined,
    last_attempt_deployment_id: inAttempt ? record.deployment_id : undefined,
    last_failure: inAttempt ? record.last_failure ?? undefined : undefined,
    last_failure_error_code: inAttempt ? record.last_failure_error_code : undefined,
    status,
    completion_result: record.completion_result,
    completion_failure: record.completion_failure
  }
  return row
}

function stringField (record: Invocation, name: string): string | undefined {
  const value = (record as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

/** Restate's form of a retention: `PT86400S`. */
function isoSeconds (ms: number): string {
  return `PT${Math.round(ms / 1000)}S`
}

const QueryBody = Type.Object({
  query: Type.String({ description: 'SQL over sys_invocation (a subset, see the README)' })
}, { additionalProperties: true })

const QueryResponse = Type.Object({
  rows: Type.Array(Type.Object({}, { additionalProperties: true, description: 'One row; NULL columns are left out' }))
})

/**
 * `POST /query`: the SQL endpoint the `restate` CLI and Restate's UI list invocations with,
 * answering a small subset of SQL over `sys_invocation` (see src/core/sql.ts), in JSON only.
 */
export function queryRoutes (ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function query (app) {
    app.post('/query', {
      schema: {
        tags: ['invocation'],
        summary: 'SQL over sys_invocation (a subset: SELECT … FROM sys_invocation [WHERE] [ORDER BY] [LIMIT]); JSON answers only',
        body: QueryBody,
        response: { 200: QueryResponse, 400: AdminError, 406: AdminError }
      }
    }, async (request) => {
      const accept = request.headers.accept ?? ''
      if (!/\bapplication\/json\b/i.test(accept)) {
        throw new EmulatorError(406, `the emulator answers POST /query only in JSON: send 'accept: application/json' (the real server answers other accept headers with Arrow IPC, which the emulator does not produce); got accept '${accept}'`)
      }
      let prepared
      try {
        prepared = prepareQuery(request.body.query, SYS_INVOCATION)
      } catch (err) {
        if (err instanceof SqlError) throw badRequest(err.message)
        throw err
      }
      const engine = ctx.core.engine
      const retention = isoSeconds(engine.retentionMs)
      const records = engine.store.values()
      return { rows: prepared.run(mapRows(records, retention)) }
    })
  }
}

function * mapRows (entries: Iterable<{ record: Invocation }>, retention: string): Iterable<SqlRow> {
  for (const entry of entries) yield sysInvocationRow(entry.record, retention)
}
