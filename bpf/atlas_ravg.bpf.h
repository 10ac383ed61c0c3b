/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf/atlas_ravg.bpf.h: the running average of shared/intf.h's struct
 * atlas_ravg in fixed point, decayed with half-life load_half_life_ns
 * (which the including program declares). Its own header so that
 * bpf/atlas_probe.bpf.c runs exactly this code against the planner's
 * floating-point reading of the same average (planner/task_slots.h RavgAt;
 * tests/bpf/ravg_probe.cc).
 */
#ifndef SCX_ATLAS_BPF_RAVG_H
#define SCX_ATLAS_BPF_RAVG_H

/* 2^(-i/16) in Q16, i = 0..16. */
static const u32 half_pow_q16[17] = {65536, 62757, 60097, 57550, 55109, 52773, 50535, 48393, 46341,
				     44376, 42495, 40693, 38968, 37316, 35734, 34219, 32768};

/* 2^(-dt / half_life) in Q16: whole half-lives shift, the rest interpolates. */
static __always_inline u64 decay_q16(u64 dt)
{
	u64 hl = load_half_life_ns ?: 1, n = dt / hl, pos, idx, frac, f;

	if (n >= 32)
		return 0;
	pos = (dt - n * hl) * 16 * 1024 / hl;
	idx = pos >> 10;
	frac = pos & 1023;
	if (idx >= 16) {
		idx = 15;
		frac = 1023;
	}
	f = half_pow_q16[idx] - (((half_pow_q16[idx] - half_pow_q16[idx + 1]) * frac) >> 10);
	return f >> n;
}

static __always_inline void ravg_update(struct atlas_ravg *r, u64 now)
{
	u64 d;

	if ((s64)(now - r->updated_at) <= 0)
		return;
	d = decay_q16(now - r->updated_at);
	if (r->avg >= r->cur)
		r->avg = r->cur + (((r->avg - r->cur) * d) >> 16);
	else
		r->avg = r->cur - (((r->cur - r->avg) * d) >> 16);
	r->updated_at = now;
}

#endif /* SCX_ATLAS_BPF_RAVG_H */
