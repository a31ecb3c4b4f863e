/**
 * Where scenarios come from: the built-in YAML files in shared/scenarios/builtin (read once), and the
 * ones an instructor uploaded to a classroom (kept in Redis as their YAML, parsed again on use).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseScenario, type Scenario } from '@shared/scenarios';
import type { ScenarioSummary } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';

const BUILTIN_DIR = path.resolve(import.meta.dirname, '../../shared/scenarios/builtin');

/** The built-in scenarios in file order (the files are numbered as the lesson goes). */
export function loadBuiltinScenarios(dir = BUILTIN_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((file) => {
      const parsed = parseScenario(readFileSync(path.join(dir, file), 'utf8'));
      // A broken built-in is our bug: the server must not start with it.
      if (!parsed.ok) throw new Error(`built-in scenario ${file}: ${parsed.message}`);
      return parsed.scenario;
    });
}

export const summaryOf = (s: Scenario): ScenarioSummary => ({ id: s.id, title: s.title, objective: s.objective, timeLimitSeconds: s.timeLimitSeconds });

export class ScenarioCatalogue {
  readonly builtins: readonly Scenario[];

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    builtins: readonly Scenario[] = loadBuiltinScenarios(),
  ) {
    this.builtins = builtins;
  }

  private key(classroomId: string): string {
    return `${this.keyPrefix}:{${classroomId}}:scenarios`;
  }

  builtin(id: string): Scenario | undefined {
    return this.builtins.find((s) => s.id === id);
  }

  /** A built-in scenario or one uploaded to this classroom. */
  async find(classroomId: string, id: string): Promise<Scenario | undefined> {
    const builtin = this.builtin(id);
    if (builtin) return builtin;
    const yaml = await this.redis.hGet(this.key(classroomId), id);
    if (!yaml) return undefined;
    const parsed = parseScenario(yaml);
    return parsed.ok ? parsed.scenario : undefined;
  }

  /** Keeps an uploaded scenario (already parsed); the same id again replaces it. */
  async upload(classroomId: string, scenario: Scenario, yaml: string): Promise<void> {
    await this.redis.hSet(this.key(classroomId), scenario.id, yaml);
  }

  /** A group plays the scenario its class picked: an uploaded one goes to the group's classroom too. */
  async copy(fromClassroomId: string, toClassroomId: string, id: string): Promise<void> {
    const yaml = await this.redis.hGet(this.key(fromClassroomId), id);
    if (yaml) await this.redis.hSet(this.key(toClassroomId), id, yaml);
  }

  async uploadedIds(classroomId: string): Promise<string[]> {
    return (await this.redis.hKeys(this.key(classroomId))).sort();
  }
}
