export {
  customFieldsFromJson,
  customFieldsToJson,
  InvalidCustomFieldsError,
  MAX_CUSTOM_FIELDS_BYTES,
} from './custom-fields';
export * from './entities';
export type * from './events';
export * from './io';
export * from './lib';
export * from './rate-limits';
