import json,glob,re,statistics as st,sys
D='bench/results/issue19'
M=[('spawn_to_initialize_ms','spawn → initialize (ms)',2),('cold_models_list_ms','cold models.list (ms)',1),
   ('warm_models_list_ms','memory-warm models.list (ms)',2),('snapshot_models_list_ms','snapshot-warm models.list, new process (ms)',1),
   ('snapshot_spawn_to_list_ms','… spawn → snapshot list answered (ms)',1),('opencode_provider_ms','opencode.provider, warm (ms)',2),
   ('capabilities_rps','capabilities.compute pipelined (req/s)',0),('peak_rss_after_cold_mib','peak RSS after cold (MiB)',1),
   ('peak_rss_end_mib','peak RSS end of session (MiB)',1),('snapshot_peak_rss_mib','peak RSS snapshot process (MiB)',1)]
def pct(s,p):
    s=sorted(s); i=p*(len(s)-1); lo=int(i); hi=min(lo+1,len(s)-1); return s[lo]+(s[hi]-s[lo])*(i-lo)
rounds=sorted({int(re.search(r'-r(\d+)\.json',f).group(1)) for f in glob.glob(D+'/old-r*.json')} & {int(re.search(r'-r(\d+)\.json',f).group(1)) for f in glob.glob(D+'/bench-r*.json')})
data={s:{r:json.load(open(f'{D}/{s}-r{r}.json')) for r in rounds} for s in ('old','bench')}
sizes=['3000','10000']
def f(v,d): return f'{v:,.{d}f}' if d==0 else f'{v:.{d}f}'
print(f'rounds: {rounds}, runs per round per size: {data["old"][rounds[0]]["runs"]}\n')
print('| metric | size | before (c948b1a) median (p10–p90) | after (bench) median (p10–p90) | after/before | rounds where after is worse |')
print('|---|---|---|---|---|---|')
for k,name,d in M:
  for z in sizes:
    pool={s:[x for r in rounds for x in data[s][r]['sizes'][z][k]['samples']] for s in data}
    med={s:st.median(pool[s]) for s in pool}
    rm={s:[st.median(data[s][r]['sizes'][z][k]['samples']) for r in rounds] for s in data}
    worse=sum(1 for a,b in zip(rm['old'],rm['bench']) if (b<a if k=='capabilities_rps' else b>a))
    print(f'| {name} | {int(z):,} | {f(med["old"],d)} ({f(pct(pool["old"],.1),d)}–{f(pct(pool["old"],.9),d)}) | {f(med["bench"],d)} ({f(pct(pool["bench"],.1),d)}–{f(pct(pool["bench"],.9),d)}) | ×{med["bench"]/med["old"]:.2f} | {worse}/{len(rounds)} |')
if '-pairs' in sys.argv:
  print('\nper-round medians, before → after:')
  for k,name,d in M:
    if k.startswith('peak'): continue
    for z in sizes:
      print(f'{name} @{z}: '+'  '.join(f'r{r}:{f(st.median(data["old"][r]["sizes"][z][k]["samples"]),d)}→{f(st.median(data["bench"][r]["sizes"][z][k]["samples"]),d)}' for r in rounds))
