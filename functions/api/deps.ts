import type { AgentAdminDeps } from '../core/admin/agent-admin.ts';
import type { ChannelAdminDeps } from '../core/admin/channel-admin.ts';
import type { CalendarAdminDeps, CalendarStore } from '../core/admin/calendar-admin.ts';
import type { ConversationAdminDeps } from '../core/admin/conversation-admin.ts';
import type { CredentialAdminDeps } from '../core/admin/credential-admin.ts';
import type { DryRunDeps } from '../core/admin/dry-run.ts';
import type { FailedAdminDeps } from '../core/admin/failed-admin.ts';
import type { SkillAdminDeps } from '../core/admin/skill-admin.ts';
import type { SourceAdminDeps } from '../core/admin/source-admin.ts';
import type { TemplateAdminDeps } from '../core/admin/template-admin.ts';
import type { AttachmentLinks } from '../core/ports/admin.ts';
import type { SuppressionList } from '../core/ports/suppression.ts';
import type { RetentionSettings } from '../core/model/retention.ts';
import type { LegalHolds } from '../core/retention/ports.ts';
import type { WorkDeps } from '../core/work/take-work.ts';
import type { PrivacyAdminDeps } from '../core/governance/privacy-admin.ts';

/** What the admin API's routes need; the composition root (`runtime/admin-deps.ts`, the sandbox, tests) wires it. */
export interface AdminApiDeps
  extends AgentAdminDeps,
    ChannelAdminDeps,
    SkillAdminDeps,
    DryRunDeps,
    ConversationAdminDeps,
    FailedAdminDeps,
    CredentialAdminDeps,
    TemplateAdminDeps,
    SourceAdminDeps,
    WorkDeps,
    PrivacyAdminDeps,
    CalendarAdminDeps {
  /** Business calendars of the SLA clocks (`routes/calendars.ts`). */
  readonly calendars: CalendarStore;
  readonly suppressions: SuppressionList;
  readonly attachments: AttachmentLinks;
  /** Legal holds on conversations (`routes/retention.ts`). */
  readonly holds: LegalHolds;
  /** The account-wide retention: a released conversation's expiry, for a channel without its own. */
  readonly retention: Pick<RetentionSettings, 'mailDays'>;
}

/** Logs what a client must not see (an unexpected error); fields go through the redacting logger. */
export interface ApiLogger {
  error(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
}
