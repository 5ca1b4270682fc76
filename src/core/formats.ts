import { FormatRegistry } from '@sinclair/typebox'

// RFC 3339 date-time, as JSON Schema's `date-time` format (and Ajv's) defines it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', value => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))
}
