#!/usr/bin/env node
// Entry point of the `postroom` command: loads the TypeScript sources through tsx, so the
// command always runs the code in this checkout without a build step.
import { register } from 'tsx/esm/api';

// The SDK version is pinned; its notice about future releases needing Node 22 is not for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
