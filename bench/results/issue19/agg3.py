import json,statistics as st
D='bench/results/issue19'
exec(open(D+'/agg.py').read().split('def pct')[0].split("D='bench/results/issue19'")[1])
rounds=range(13,19)
data={s:{r:json.load(open(f'{D}/{s}-r{r}.json')) for r in rounds} for s in ('old','mid','bench')}
print('| metric | size | before c948b1a | redesign done cabf43c | bench 808deeb | mid/before | bench/mid |')
print('|---|---|---|---|---|---|---|')
for k,name,d in M:
  for z in ['3000','10000']:
    med={s:st.median([x for r in rounds for x in data[s][r]['sizes'][z][k]['samples']]) for s in data}
    fm=lambda v: f'{v:,.0f}' if d==0 else f'{v:.{d}f}'
    print(f'| {name} | {int(z):,} | {fm(med["old"])} | {fm(med["mid"])} | {fm(med["bench"])} | ×{med["mid"]/med["old"]:.2f} | ×{med["bench"]/med["mid"]:.2f} |')
