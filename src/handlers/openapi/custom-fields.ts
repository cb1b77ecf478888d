import type * as t from 'io-ts';
import type { FieldEntity, FieldSettings } from '../../domain/custom-fields';
import { type CodecSchemas, type JsonSchema, UnconvertibleCodecError } from './codec-schema';

/**
 * Where each entity's custom fields (`createAccounts({ fields })`, docs/fields.md) show in the
 * document: the view it is answered in, and the bodies that create (`t.type` fields required) or
 * update it.
 */
const FIELD_SCHEMAS: Record<FieldEntity, { view: string; create: string; update: string }> = {
  user: { view: 'User', create: 'RegisterInput', update: 'UpdateUserInput' },
  organization: { view: 'Organization', create: 'CreateOrganizationInput', update: 'UpdateOrganizationInput' },
  membership: { view: 'Membership', create: 'AddMembershipInput', update: 'ChangeMembershipRoleInput' },
  client: { view: 'Client', create: 'CreateClientInput', update: 'UpdateClientInput' },
};

/**
 * Adds the application's fields to the named schemas, as the handlers treat them: in the views all
 * but the private ones, in the bodies all but the read-only and private ones. A field codec the
 * document cannot describe (a branded or custom type) is given as any JSON value.
 */
export function addCustomFields(
  components: Record<string, JsonSchema>,
  fields: FieldSettings | undefined,
  schemas: CodecSchemas,
): void {
  if (fields === undefined) return;
  const describe = (codec: t.Any): JsonSchema => {
    try {
      return schemas.schemaOf(codec);
    } catch (error) {
      if (error instanceof UnconvertibleCodecError) return { description: 'An application-defined field.' };
      throw error;
    }
  };
  for (const [entity, places] of Object.entries(FIELD_SCHEMAS) as Array<
    [FieldEntity, (typeof FIELD_SCHEMAS)[FieldEntity]]
  >) {
    const settings = fields[entity];
    if (settings === undefined) continue;
    const all = { ...settings.optional, ...settings.required };
    const add = (name: string, keep: (key: string) => boolean, requiredKeys: string[]) => {
      const schema = components[name];
      if (schema === undefined) return;
      schema.properties ??= {};
      const properties = schema.properties as Record<string, JsonSchema>;
      for (const [key, codec] of Object.entries(all)) if (keep(key)) properties[key] = describe(codec);
      const required = requiredKeys.filter(keep);
      if (required.length > 0) schema.required = [...((schema.required as string[] | undefined) ?? []), ...required];
    };
    add(places.view, (key) => !settings.private.has(key), []);
    add(places.create, (key) => !settings.notFromHttp.has(key), Object.keys(settings.required));
    add(places.update, (key) => !settings.notFromHttp.has(key), []);
  }
}
