/* polkit.c — authorising the methods that change state. Root (the sender's
 * uid is ours) is allowed without asking; anyone else is checked with
 * polkit's CheckAuthorization for the sender's bus name, asynchronously, so
 * that an authentication dialog on one client does not stall the others. The
 * request message is kept and acted on when the answer comes. */
#include "berthd.h"
#include "log.h"

#define POLKIT_DEST "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
/* An administrator typing a password takes a while. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)

struct PolkitQuery {
        Manager *manager;
        sd_bus_message *request;
        AuthorizedAction act;
        sd_bus_slot *slot;
        PolkitQuery *prev, *next;
};

static PolkitQuery *polkit_query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->prev)
                q->prev->next = q->next;
        else
                q->manager->polkit_queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q);
        return NULL;
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        Manager *m = q->manager;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const sd_bus_error *e;
        int authorized = false, challenge = false, r;

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* No polkit, or it failed: nobody but root may change anything. */
                log_warning("Failed to check authorization with polkit: %s", strempty(e->message));
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization check failed: %s",
                                      strempty(e->message));
        } else if ((r = sd_bus_message_enter_container(reply, 'r', "bba{ss}")) < 0 ||
                   (r = sd_bus_message_read(reply, "bb", &authorized, &challenge)) < 0) {
                log_errno(LOG_WARNING_LEVEL, r, "Failed to parse polkit's answer");
                r = sd_bus_error_set(&error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization check failed");
        } else if (authorized) {
                r = q->act(m, q->request, &error);
        } else if (challenge)
                r = sd_bus_error_set(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                     "Interactive authentication required.");
        else
                r = sd_bus_error_set(&error, SD_BUS_ERROR_ACCESS_DENIED, "Access denied");
        if (r < 0)
                (void) sd_bus_reply_method_errno(q->request, r, &error);
        polkit_query_free(q);
        manager_check_idle(m);
        return 0;
}

int polkit_authorize(Manager *m, sd_bus_message *request, const char *action, char **details, AuthorizedAction act,
                     sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        PolkitQuery *q;
        const char *sender;
        int interactive, r;

        r = sd_bus_query_sender_privilege(request, -1);
        if (r < 0)
                return r;
        if (r > 0)
                return act(m, request, error);

        sender = sd_bus_message_get_sender(request);
        if (!sender)
                return -EBADMSG;
        interactive = sd_bus_message_get_allow_interactive_authorization(request) > 0;
        r = sd_bus_message_new_method_call(m->bus, &call, POLKIT_DEST, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "{ss}");
        for (char **d = details; r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        /* flags: 1 = AllowUserInteraction, as the caller asked; no cancellation id */
        if (r >= 0)
                r = sd_bus_message_append(call, "us", (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (PolkitQuery) { .manager = m, .request = sd_bus_message_ref(request), .act = act };
        r = sd_bus_call_async(m->bus, &q->slot, call, on_polkit_reply, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        q->next = m->polkit_queries;
        if (q->next)
                q->next->prev = q;
        m->polkit_queries = q;
        manager_check_idle(m);
        return 1;
}

void polkit_queries_free(Manager *m) {
        while (m->polkit_queries)
                polkit_query_free(m->polkit_queries);
}
