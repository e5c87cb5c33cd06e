import { expect } from 'chai';
import { WmtsError, type OwsException } from '../../../server/wmts/wmts-exception.js';

/** Runs `action` and returns the WmtsError it throws, failing the test when it throws none (or another error). */
export function catchWmtsError(action: () => unknown): WmtsError {
  try {
    action();
  } catch (error) {
    if (error instanceof WmtsError) return error;
    throw error;
  }
  throw new Error('expected a WmtsError, but nothing was thrown');
}

/** Expects `action` to throw exactly one exception with this code and locator (and HTTP status). */
export function expectWmtsError(action: () => unknown, code: OwsException['code'], locator: string | undefined, status: number, text?: RegExp): WmtsError {
  const error = catchWmtsError(action);
  expect(error.exceptions.map((exception) => [exception.code, exception.locator])).to.deep.equal([[code, locator]]);
  expect(error.status).to.equal(status);
  if (text) expect(error.exceptions[0]!.text).to.match(text);
  return error;
}
