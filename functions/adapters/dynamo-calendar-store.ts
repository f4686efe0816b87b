import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoredCalendarSchema, type StoredCalendar } from '../core/sla/calendar.ts';
import { CALENDAR_PARTITION } from './dynamo-schema.ts';
import { DynamoVersionedStore } from './dynamo-versioned-store.ts';

/** The business calendars in the Postroom table: versioned items of the `CALENDAR` partition, the calendar as JSON (`calendar`). */
export function dynamoCalendarStore(db: DynamoDBDocumentClient, tableName: string): DynamoVersionedStore<StoredCalendar> {
  return new DynamoVersionedStore(db, tableName, { partition: CALENDAR_PARTITION, attribute: 'calendar', schema: StoredCalendarSchema });
}
