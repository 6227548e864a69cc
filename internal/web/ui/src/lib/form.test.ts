import { describe, expect, it } from 'vitest';
import { fieldErrors, fragmentToken } from './form';
import { ApiError } from './problem';

describe('form helpers', () => {
  it('reads the token from the fragment', () => {
    expect(fragmentToken('#token=abc-123')).toBe('abc-123');
    expect(fragmentToken('')).toBe('');
  });
  it('prefers local errors and labels the API fields', () => {
    const err = new ApiError(422, 'Invalid', 'bad', { fields: [{ field: 'password', message: 'too short' }] });
    expect(fieldErrors([], err, { password: 'New password' })).toEqual([{ field: 'password', message: 'New password: too short' }]);
    expect(fieldErrors([{ field: 'x', message: 'y' }], err, {})).toEqual([{ field: 'x', message: 'y' }]);
  });
});
