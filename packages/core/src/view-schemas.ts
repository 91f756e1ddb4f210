/**
 * Building blocks of the views' response schemas. Each view the API answers is declared once,
 * as a TypeBox schema with an `$id` (its OpenAPI component name) beside the function that builds
 * it; its TypeScript type is `Static<typeof …Schema>`, so the builder, the server's routes and the
 * document cannot drift apart.
 */
import { type TUnsafe, Type } from 'typebox';

export const DateTime = (description: string) => Type.String({ format: 'date-time', description });
export const NullableDateTime = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });
/** An object of any fields (documented as such), typed as a record of unknowns. */
export const FreeObject = (description: string): TUnsafe<Record<string, unknown>> =>
  Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description }));
