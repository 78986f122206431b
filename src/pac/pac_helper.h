/* src/pac/pac_helper.h: the main loop of the `wicket pac-helper` process,
 * which evaluates PAC scripts for the daemon over a pipe so that a
 * looping or greedy script can be killed without harm.
 *
 * Protocol: '\n'-terminated lines, fields separated by '\t' (URLs and
 * hosts never hold either); each request is answered in order.
 *
 *   L\tNAME\tLENGTH\n + LENGTH bytes of script  ->  L\tok\n | L\terr\tMSG\n
 *   F\tID\tURL\tHOST\n    ->  F\tID\tok\tRESULT\n | F\tID\terr\tMSG\n
 *   anything else         ->  E\terr\tMSG\n
 *
 * and, before an answer, any number of A\tMESSAGE\n lines for alert() and
 * console.log(). Request lines are at most WK_PAC_HELPER_LINE_MAX bytes;
 * a longer one is answered with an error and skipped. MSG, RESULT and
 * MESSAGE have tabs, newlines and control bytes turned into spaces. */
#ifndef WK_PAC_PAC_HELPER_H
#define WK_PAC_PAC_HELPER_H

#include "core/wk.h"

#define WK_PAC_HELPER_LINE_MAX (16 * 1024)
#define WK_PAC_HELPER_ALERT_MAX 1024   /* longer alerts are cut */
#define WK_PAC_HELPER_RESULT_MAX 16384 /* longer results are an error */

/* Drops what the process may do (no new privileges; address space of
 * heap_max plus a margin unless built with ASan; few files; no core
 * dumps), then serves requests from in_fd, answering on out_fd, with
 * script heaps of at most heap_max bytes. Returns 0 at end of input
 * between requests, -1 on a read or write error or input cut short. */
int wk_pac_helper_main(int in_fd, int out_fd, size_t heap_max);

#endif
