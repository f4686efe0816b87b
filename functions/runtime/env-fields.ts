import { z } from 'zod';

/** A positive whole number from an environment variable (seconds, counts), `fallback` when unset. */
export const positiveInt = (fallback: string) => z.string().default(fallback).transform(Number).pipe(z.number().int().positive());
