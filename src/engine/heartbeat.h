/* heartbeat.h -- a background thread that keeps RUNNING trials' heartbeats fresh.
 *
 * It has its own storage connection, so it never shares a connection with the thread
 * that owns the study handle, and so long user code (training) between library calls
 * does not make a live trial look dead.
 *
 * Each beat names the worker the trial handle runs it as, and storage writes it only
 * while the trial is RUNNING as that worker's. A beat storage refuses -- the trial was
 * recovered as stale while this process was frozen or cut off, and failed, paused or
 * taken over by another worker -- ends the beating of that entry: a stale worker must
 * not keep the new run looking alive, nor retry a refused write every interval. The
 * handle learns of it with hps_heartbeat_refused. */
#ifndef HPS_HEARTBEAT_H
#define HPS_HEARTBEAT_H

#include "base/errbuf.h"

#include <stdint.h>

typedef struct hps_heartbeat hps_heartbeat;

/* Starts the thread, beating every `interval` seconds against storage `url`. */
hps_status hps_heartbeat_start(const char *url, double interval, hps_heartbeat **out,
                               hps_errbuf *err);
/* Adds an entry beating `trial_id` as worker `owner` (copied; NULL: unchecked) and sets
 * *key to what names the entry (a trial id may be beaten by more than one handle);
 * -1 on OOM. */
int hps_heartbeat_add(hps_heartbeat *hb, int64_t trial_id, const char *owner, uint64_t *key);
/* Removes the entry `key`; nothing when there is none. */
void hps_heartbeat_remove(hps_heartbeat *hb, uint64_t key);
/* Whether storage refused entry `key`'s beat (the entry then beats no more). */
int hps_heartbeat_refused(hps_heartbeat *hb, uint64_t key);
/* Stops and joins the thread. NULL-safe. */
void hps_heartbeat_stop(hps_heartbeat *hb);

#endif
