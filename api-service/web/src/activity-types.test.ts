import { ACTIVITY_TYPE_NAME_PATTERN, BUILT_IN_ACTIVITY_TYPES } from '@uap/shared/contract';
import {
  BUILT_IN_PALETTE,
  contrast,
  hashedColor,
  MIN_CONTRAST,
  orderTypes,
  TYPE_NAME,
  typeColors,
} from './activity-types';

const BUILT_INS = [...BUILT_IN_ACTIVITY_TYPES];

describe('dashboard activity types', () => {
  it("when the page checks a type name, then it uses the contract's pattern", () => {
    expect(TYPE_NAME.source).toBe(ACTIVITY_TYPE_NAME_PATTERN.source);
  });

  it('when types are shown, then built-ins come first as declared and the others by name, as the stats list them', () => {
    expect(orderTypes(['VIDEO_PLAY', 'SEARCH', 'INVITE_SENT', 'LOGIN', 'SEARCH'], BUILT_INS)).toEqual([
      'LOGIN',
      'SEARCH',
      'INVITE_SENT',
      'VIDEO_PLAY',
    ]);
  });

  it('when a built-in is drawn, then it keeps the colour it always had', () => {
    const colorOf = typeColors(BUILT_INS);
    expect(BUILT_INS.map(colorOf)).toEqual([...BUILT_IN_PALETTE]);
  });

  it('when a type registered at runtime is drawn, then its colour is the same every time and legible on the panel', () => {
    const names = [
      'VIDEO_PLAY',
      'VIDEO_PAUSE',
      'INVITE_SENT',
      'A',
      'Z_9',
      'YELLOWISH_NAME',
      ...BUILT_INS.map((t) => `${t}_V2`),
    ];
    const colorOf = typeColors(BUILT_INS);
    for (const name of names) {
      expect(colorOf(name)).toMatch(/^#[0-9a-f]{6}$/);
      expect(colorOf(name)).toBe(hashedColor(name));
      expect(contrast(colorOf(name), '#ffffff')).toBeGreaterThanOrEqual(MIN_CONTRAST);
    }
    expect(new Set(names.map(colorOf)).size).toBeGreaterThan(names.length / 2);
  });

  it('when any hue is generated, then it reaches the contrast bar', () => {
    for (let i = 0; i < 500; i++)
      expect(contrast(hashedColor(`TYPE_${i}`), '#ffffff')).toBeGreaterThanOrEqual(MIN_CONTRAST);
    for (const color of BUILT_IN_PALETTE) expect(contrast(color, '#ffffff')).toBeGreaterThanOrEqual(MIN_CONTRAST);
  });
});
