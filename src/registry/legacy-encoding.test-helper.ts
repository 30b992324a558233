import { TCVN3_LETTERS, VNI_LETTERS } from './legacy-encoding.js';

/**
 * Writes text in a legacy encoding, by the inverse of the module's own tables: how tests make
 * files as old provincial systems saved them. ASCII passes through; anything else unmapped throws.
 */
function encoderFor(inverse: ReadonlyMap<string, readonly number[]>): (text: string) => Uint8Array {
  return (text) => {
    const bytes: number[] = [];
    for (const char of text.normalize('NFC')) {
      const mapped = inverse.get(char);
      if (mapped !== undefined) bytes.push(...mapped);
      else if (char.charCodeAt(0) < 0x80) bytes.push(char.charCodeAt(0));
      else throw new Error(`no code for ${char}`);
    }
    return Uint8Array.from(bytes);
  };
}

/** @example toTcvn3('Nguyễn') */
export const toTcvn3 = encoderFor(new Map(TCVN3_LETTERS.map(([letter, byte]) => [letter, [byte]])));

/** @example toVni('Nguyễn') // bytes of "Nguye\xE3n" */
export const toVni = encoderFor(new Map(VNI_LETTERS.map(([letter, bytes]) => [letter, bytes])));
