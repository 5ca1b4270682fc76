import { Type, type Static } from '@sinclair/typebox'
import { STATUSES } from './lifecycle.js'

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })

export const InvocationStatus = Type.Union(STATUSES.map(s => Type.Literal(s)))

export const ServiceType = Type.Union([Type.Literal('service'), Type.Literal('virtual_object'), Type.Literal('workflow')])
export type ServiceType = Static<typeof ServiceType>

/**
 * One invocation as served: the seed schema's fields with its types, plus Restate's own
 * `sys_invocation` column names for everything the seed lacks.
 */
export const Invocation = Type.Object({
  id: Type.String({ description: 'Invocation id, `inv_` + 34 base62 characters.' }),
  target: Type.String({ description: '`Service/handler` or `Object/key/handler`.' }),
  target_service_name: Type.Optional(Type.String()),
  target_handler_name: Type.Optional(Type.String()),
  target_service_key: Type.Optional(Nullable(Type.String())),
  target_service_ty: Type.Optional(ServiceType),
  status: InvocationStatus,
  created_at: Type.Optional(Timestamp),
  modified_at: Type.Optional(Timestamp),
  trace_id: Type.Optional(Type.String()),
  deployment_id: Type.Optional(Type.String()),
  retry_count: Type.Optional(Type.Integer({ minimum: 0 })),
  last_failure: Type.Optional(Nullable(Type.String())),
  next_retry_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  idempotency_key: Type.Optional(Type.String()),
  invoked_by: Type.Optional(Type.String()),
  invoked_by_id: Type.Optional(Type.String()),
  invoked_by_target: Type.Optional(Type.String()),
  scheduled_start_at: Type.Optional(Timestamp),
  inboxed_at: Type.Optional(Timestamp),
  scheduled_at: Type.Optional(Timestamp),
  running_at: Type.Optional(Timestamp),
  completed_at: Type.Optional(Timestamp),
  last_start_at: Type.Optional(Timestamp),
  last_failure_error_code: Type.Optional(Type.String()),
  completion_result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  completion_failure: Type.Optional(Type.String()),
  journal_size: Type.Optional(Type.Integer({ minimum: 0 })),
  paused: Type.Optional(Type.Boolean({ description: 'Paused (Restate status `paused`), shown as `suspended`.' }))
}, { additionalProperties: true, title: 'Invocation' })
export type Invocation = Static<typeof Invocation>

export const INVOCATION_ID = /^inv_[0-9A-Za-z]{34}$/
export const DEPLOYMENT_ID = /^dp_[0-9A-Za-z]{23}$/
