import {
  ClassTransformerSerializer,
  type ClassType,
} from '../serializers/class-transformer.serializer';
import type { Serializer } from '../serializers/serializer';

/** `type: User` is short for `serializer: new ClassTransformerSerializer(User)`. */
export function serializerForType(type: ClassType): Serializer {
  return new ClassTransformerSerializer(type);
}
