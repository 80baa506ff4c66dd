/* heartbeat.h -- a background thread that keeps RUNNING trials' heartbeats fresh.
 *
 * It has its own storage connection, so it never shares a connection with the thread
 * that owns the study handle, and so long user code (training) between library calls
 * does not make a live trial look dead. */
#ifndef HPS_HEARTBEAT_H
#define HPS_HEARTBEAT_H

#include "base/errbuf.h"

#include <stdint.h>

typedef struct hps_heartbeat hps_heartbeat;

/* Starts the thread, beating every `interval` seconds against storage `url`. */
hps_status hps_heartbeat_start(const char *url, double interval, hps_heartbeat **out,
                               hps_errbuf *err);
/* Adds / removes a trial id; -1 on OOM for add. */
int hps_heartbeat_add(hps_heartbeat *hb, int64_t trial_id);
void hps_heartbeat_remove(hps_heartbeat *hb, int64_t trial_id);
/* Stops and joins the thread. NULL-safe. */
void hps_heartbeat_stop(hps_heartbeat *hb);

#endif
