/** EventBridge Scheduler for the local runtime: schedules over HTTP, timers on the injected clock. */
export {
  DEFAULT_SCHEDULE_INPUT,
  type LocalScheduler,
  type RecurringSchedule,
  type ScheduledEvent,
  type ScheduleFailure,
  type SchedulerMetrics,
  type StartSchedulerOptions,
  startScheduler,
} from './local-scheduler.ts';
