import { z } from 'zod';
import { AgentSchema } from './agent.ts';
import { ChannelSettingsSchema } from './channel.ts';
import { parseCidr, protectedOverlap } from '../outbound/send/protected-networks.ts';
import { AddressSchema, IdSchema, TEXT_LIMITS } from './fields.ts';
import { ACCOUNT_RETENTION_FIELDS, RETENTION_DEFAULTS, retentionDays } from './retention.ts';
import { SlaSettingsSchema } from '../sla/sla-settings.ts';

const DomainSchema = z
  .string()
  .max(TEXT_LIMITS.domain)
  .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/, 'not a domain name')
  .transform((d) => d.toLowerCase());

/** A skill: the unit of routing. Each skill gets one SQS FIFO queue (and its DLQ). */
export const SkillSchema = z.strictObject({
  /** An id; used in construct ids, queue names and queue lookups. */
  name: IdSchema,
  description: z.string().max(TEXT_LIMITS.description).default(''),
});
export type Skill = z.infer<typeof SkillSchema>;

export const ReceivingSchema = z.strictObject({
  /** SES spam and virus scanning on the receipt rules. */
  scanEnabled: z.boolean().default(true),
  /** Refuse mail that is not delivered over TLS (receipt rule `tlsPolicy: Require`). */
  requireTls: z.boolean().default(true),
  /**
   * Reserved concurrency of the inbound function: the most mails it processes at once, and
   * capacity no other function of the account can take. A flood of mail waits in Lambda's
   * asynchronous queue (and its retries, up to six hours) instead of starving the account's
   * other functions. The account must keep 100 unreserved: a new account with a quota of 10
   * asks for a higher one first.
   * @default 20
   */
  reservedConcurrency: z.number().int().min(1).max(1000).default(20),
});

/**
 * Retention (ADM-2; `docs/retention.md`): conversations with their raw mail, attachments and
 * plans (`mailDays` after their last message, unless a channel sets its own `retention`), failed
 * mail, reply uploads and the audit log, each with a documented default.
 */
export const RetentionSchema = z
  .strictObject({
    ...ACCOUNT_RETENTION_FIELDS,
    /** The name `mailDays` had before conversations expired as a whole: read as `mailDays` when that is not given. */
    rawMailDays: retentionDays('mailDays').optional(),
    /** Days the Lambda log groups are kept. */
    logDays: z.number().int().min(1).max(3650).default(90),
  })
  .transform(({ rawMailDays, mailDays, ...rest }) => ({ mailDays: mailDays ?? rawMailDays ?? RETENTION_DEFAULTS.mailDays, ...rest }));

/** Who may call the admin API: IAM (SigV4, the default) or a JWT from an OIDC issuer (Cognito or any other). */
export const ApiAuthSchema = z.union([
  z.literal('iam'),
  z.strictObject({
    jwt: z.strictObject({
      /** The issuer URL, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
      issuer: z
        .url()
        .max(TEXT_LIMITS.url)
        .refine((u) => u.startsWith('https://'), 'the issuer must use https'),
      /** Accepted `aud` (or Cognito `client_id`) values. */
      audience: z.array(z.string().min(1).max(256)).min(1).max(20),
    }),
  }),
]);

export const ApiSchema = z.strictObject({
  auth: ApiAuthSchema.default('iam'),
  /**
   * Under JWT: a claim whose values name roles (`cognito:groups`, `groups`, `roles`, `scope`), as
   * `admin`, `supervisor` or `agent`, optionally prefixed `postroom-`; it overrides an agent's stored role.
   */
  roleClaim: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'a claim name without spaces')
    .optional(),
  /** CORS for browser clients; off unless set. */
  cors: z
    .strictObject({
      allowOrigins: z.array(z.url().max(TEXT_LIMITS.url)).min(1).max(50),
      /** @default ['authorization', 'content-type', 'if-match', 'x-amz-date', 'x-amz-security-token'] */
      allowHeaders: z.array(z.string().min(1).max(100)).max(50).default(['authorization', 'content-type', 'if-match', 'x-amz-date', 'x-amz-security-token']),
      maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
    })
    .optional(),
  /** Stage throttling: steady requests per second and burst. */
  throttle: z
    .strictObject({ rateLimit: z.number().positive().max(10_000).default(50), burstLimit: z.number().int().positive().max(5_000).default(100) })
    .default({ rateLimit: 50, burstLimit: 100 }),
});
export type ApiConfig = z.infer<typeof ApiSchema>;
/** A private network an admin-set host may reach: a CIDR block that overlaps no protected network (metadata, loopback, link-local). */
const AllowedCidrSchema = z
  .string()
  .max(64)
  .superRefine((text, ctx) => {
    const cidr = parseCidr(text);
    if (!cidr) {
      ctx.addIssue({ code: 'custom', message: `${text} is not a CIDR block such as 10.20.0.0/16` });
      return;
    }
    const hit = protectedOverlap(cidr);
    if (hit) ctx.addIssue({ code: 'custom', message: `${text} overlaps ${hit.cidr} (${hit.what}), which outbound connections may never reach` });
  });

/** Sending: which private networks an admin-set SMTP host or token URL may reach (none by default). */
export const OutboundConfigSchema = z.strictObject({
  /** CIDR blocks such as `10.20.0.0/16` (a relay inside the company's network); loopback, link-local and metadata addresses stay refused. */
  allowedPrivateCidrs: z.array(AllowedCidrSchema).max(50).default([]),
});

export const SuppressionConfigSchema = z.strictObject({
  /** Where delivery feedback suppresses an address: the channel that sent the mail, or every channel (`account`). */
  scope: z.enum(['channel', 'account']).default('channel'),
});

/** Where the stack's alarms go: one SNS topic, each address subscribed to it by email. */
export const AlarmsConfigSchema = z.strictObject({
  /**
   * Addresses notified when an alarm fires (dead-letter queues, function errors and throttles,
   * failing sources, mail whose invocation was lost). Each confirms its subscription once, from
   * the mail SNS sends after the deploy. None: the alarms still fire, on the dashboard and the topic.
   */
  emails: z.array(AddressSchema).max(50).default([]),
});

/**
 * The deploy-time configuration of one Postroom installation: what `bin/postroom.ts` reads from
 * CDK context (`-c config=path`) or `postroom.config.json`. Channels carry their own routing.
 */
export const PostroomConfigSchema = z
  .strictObject({
    /** Domains SES receives mail for (verified in SES, MX pointing at SES inbound). */
    domains: z.array(DomainSchema).min(1).max(100),
    /** Skill names, or `{ name, description }` objects. Each adds queues to the stack (more can be added through the API). */
    skills: z
      .array(z.union([IdSchema.transform((name) => ({ name, description: '' })), SkillSchema]))
      .min(1)
      .max(100),
    channels: z.array(ChannelSettingsSchema).min(1).max(100),
    receiving: ReceivingSchema.default(ReceivingSchema.parse({})),
    retention: RetentionSchema.default(RetentionSchema.parse({})),
    /** The admin API: authorization, CORS, throttling. */
    api: ApiSchema.default(ApiSchema.parse({})),
    suppression: SuppressionConfigSchema.default(SuppressionConfigSchema.parse({})),
    outbound: OutboundConfigSchema.default(OutboundConfigSchema.parse({})),
    alarms: AlarmsConfigSchema.default(AlarmsConfigSchema.parse({})),
    /**
     * The first agents, seeded like channels (the API owns one once it changes it): at least one
     * admin, with the identity (JWT subject or IAM principal ARN) that signs in as them.
     */
    users: z.array(AgentSchema).max(1000).default([]),
    /** The SLA of channels that set none (`docs/sla.md`); absent: only channels with their own `sla` have one. */
    sla: SlaSettingsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const skills = new Set(config.skills.map((s) => s.name));
    const issue = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: 'custom', path, message });
    };
    for (const n of duplicates(config.skills.map((s) => s.name))) issue(['skills'], `skill ${n} is listed twice`);
    // CloudFormation ids (stack outputs) keep only letters and digits: `a-b` and `ab` would be one.
    const bySanitized = new Map<string, string[]>();
    for (const name of new Set(config.skills.map((s) => s.name))) {
      const key = name.replace(/[^a-z0-9]/gi, '');
      bySanitized.set(key, [...(bySanitized.get(key) ?? []), name]);
    }
    for (const names of bySanitized.values()) {
      if (names.length > 1) issue(['skills'], `skills ${names.join(', ')} differ only in dashes; their resource ids would collide`);
    }
    for (const id of duplicates(config.channels.map((c) => c.id))) issue(['channels'], `channel id ${id} is used twice`);
    for (const id of duplicates(config.users.map((u) => u.id))) issue(['users'], `user ${id} is listed twice`);
    for (const identity of duplicates(config.users.flatMap((u) => u.identities))) issue(['users'], `identity ${identity} belongs to two users`);
    for (const address of duplicates(config.alarms.emails)) issue(['alarms', 'emails'], `${address} is listed twice`);
    const channelIds = new Set(config.channels.map((c) => c.id));
    config.users.forEach((user, i) => {
      for (const skill of user.skills) if (!skills.has(skill)) issue(['users', i, 'skills'], `user ${user.id} names unknown skill ${skill}`);
      for (const channel of user.channels) if (!channelIds.has(channel)) issue(['users', i, 'channels'], `user ${user.id} names unknown channel ${channel}`);
    });
    const addresses = config.channels.flatMap((c) => [c.address, ...c.aliases]);
    for (const a of duplicates(addresses)) issue(['channels'], `address ${a} belongs to two channels`);
    config.channels.forEach((channel, i) => {
      const used = [channel.defaultSkill, ...channel.routing.map((r) => r.skill)];
      if (channel.spamSkill) used.push(channel.spamSkill);
      for (const skill of used) {
        if (!skills.has(skill)) issue(['channels', i], `channel ${channel.id} uses unknown skill ${skill}`);
      }
      for (const address of [channel.address, ...channel.aliases]) {
        const domain = address.slice(address.lastIndexOf('@') + 1);
        if (!config.domains.includes(domain)) issue(['channels', i], `${address} is not in a configured domain`);
      }
    });
  });
export type PostroomConfig = z.infer<typeof PostroomConfigSchema>;
export type PostroomConfigInput = z.input<typeof PostroomConfigSchema>;

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((v) => seen.has(v) || !seen.add(v)))];
}
