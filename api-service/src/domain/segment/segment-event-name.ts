import { ACTIVITY_TYPE_NAME_PATTERN } from '@uap/shared/contract';

/**
 * A track call's event name as an activity type name: "Order Completed" → ORDER_COMPLETED, "videoPlayed" →
 * VIDEO_PLAYED, "checkout-step 2" → CHECKOUT_STEP_2, "Café Visited" → CAFE_VISITED. Undefined when what is left
 * is no valid name (it must start with a letter and have at most 64 characters): such a name is refused, never
 * cut short, since cutting would let two different names share a type.
 */
export function normaliseEventName(name: string): string | undefined {
  const snake = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    // camelCase and PascalCase boundaries: videoPlayed, step2Done, HTMLPage.
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return ACTIVITY_TYPE_NAME_PATTERN.test(snake) ? snake : undefined;
}
