// Prometheus' text format, as GET /metrics serves it.

export interface Sample {
  name: string;
  labels: string; // as written: a="b",c="d"
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

export function parseMetrics(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: "", type: "", samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split("\n")) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      family(help[1]).help = help[2];
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      family(type[1]).type = type[2];
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const base = sample[1].replace(/_(bucket|sum|count)$/, "");
    const owner = families.has(sample[1]) ? sample[1] : base;
    family(owner).samples.push({ name: sample[1], labels: sample[2] ?? "", value: Number(sample[3]) });
  }
  return [...families.values()];
}
