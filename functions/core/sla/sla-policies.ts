import type { ChannelSettings } from '../model/channel.ts';
import { ALWAYS_CALENDAR, ALWAYS_CALENDAR_ID, type Calendar } from './calendar.ts';
import type { SlaPolicy } from './sla-clock.ts';
import type { SlaSettings } from './sla-settings.ts';
import type { CalendarLookup } from './ports.ts';

/** Which SLA applies where: a channel's own, else the account's default; and calendars by id. */
export interface SlaPolicies {
  /** The channel's SLA with its calendar; null when neither the channel nor the account sets one, or its calendar is gone. */
  forChannel(channel: ChannelSettings): Promise<SlaPolicy | null>;
  /** A calendar by id, `always` included; null when unknown. */
  calendar(id: string): Promise<Calendar | null>;
}

/** The policies of an installation: its stored calendars and the account default (config `sla`, null when none). */
export function slaPolicies(calendars: CalendarLookup, accountDefault: SlaSettings | null): SlaPolicies {
  const calendar = async (id: string): Promise<Calendar | null> => (id === ALWAYS_CALENDAR_ID ? ALWAYS_CALENDAR : calendars.get(id));
  return {
    calendar,
    async forChannel(channel) {
      const settings = channel.sla ?? accountDefault;
      if (!settings) return null;
      const found = await calendar(settings.calendar);
      return found ? { settings, calendar: found } : null;
    },
  };
}
