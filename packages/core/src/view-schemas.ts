/**
 * Building blocks of the views' response schemas. Each view the API answers is declared once,
 * as a TypeBox schema with an `$id` (its OpenAPI component name) beside the function that builds
 * it; its TypeScript type is `Static<typeof …Schema>`, so the builder, the server's routes and the
 * document cannot drift apart.
 */
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

export const DateTime = (description: string) => Type.String({ format: 'date-time', description });
export const NullableDateTime = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });
/** An object of any fields (documented as such), typed as a record of unknowns. */
export const FreeObject = (description: string): TUnsafe<Record<string, unknown>> =>
  Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description }));
/**
 * A reference to another view's schema inside a view (`{ $ref: '<$id>' }`, so the document names
 * its component), typed as that view.
 */
export function RefTo<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('A referenced view schema has an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(id));
}
