import { FeedbackEnvSchema, readEnv } from './runtime/env.ts';
import { createFeedbackHandler } from './runtime/feedback-handler.ts';

/** SES delivery events from the feedback queue: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createFeedbackHandler(readEnv(FeedbackEnvSchema));
