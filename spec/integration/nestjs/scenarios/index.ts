import { applicationScenarios } from './applications.scenarios';
import { moduleScenarios } from './module.scenarios';
import { sampleScenarios } from './sample.scenarios';
import type { Scenario } from './support';

/** Every Nest e2e scenario by name: the spec runs each on every Nest major. */
export const SCENARIOS: Record<string, Scenario> = {
  ...moduleScenarios,
  ...applicationScenarios,
  ...sampleScenarios,
};
