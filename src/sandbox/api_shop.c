/*
 * api_shop — Open API calls about the shop itself: authorized shops,
 * warehouses, and product image upload (plus serving uploaded images).
 */
#include <stdlib.h>
#include <string.h>

#include "multipart.h"
#include "sandbox.h"
#include "shopsync/httpx.h"
#include "store.h"

static const char *const use_cases[] = {"MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE",
                                        "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE", NULL};

int sb_api_shops(sb_req_t *r)
{
    sb_store_lock(r->app->store);
    json_t *shop = sb_store_shop_json(r->app->store);
    sb_store_unlock(r->app->store);
    return sb_api_ok(r, json_pack("{s:[o]}", "shops", shop));
}

int sb_api_warehouses(sb_req_t *r)
{
    return sb_api_ok(r, json_pack("{s:o}", "warehouses", sb_store_warehouses_json()));
}

int sb_api_image_upload(sb_req_t *r)
{
    const char *ct = mg_get_header(r->conn, "Content-Type");
    sb_part_t file, use;
    char use_case[32] = "MAIN_IMAGE";
    char hex[33];
    int w = 0, h = 0;

    if (sb_multipart_find(ct, r->body.data, r->body.len, "data", &file) != 0)
        return sb_api_fail(r, 200, SB_E_IMAGE_INVALID,
                           "invalid image: send multipart/form-data with a file part named data");
    if (file.len == 0)
        return sb_api_fail(r, 200, SB_E_IMAGE_INVALID, "invalid image: the data part is empty");
    if (file.len > SB_MAX_IMAGE_BYTES)
        return sb_api_fail(r, 200, SB_E_IMAGE_INVALID, "invalid image: larger than %u bytes",
                           SB_MAX_IMAGE_BYTES);
    const char *mime = sb_image_sniff((const unsigned char *)file.data, file.len, &w, &h);
    if (!mime)
        return sb_api_fail(r, 200, SB_E_IMAGE_INVALID,
                           "invalid image: only JPEG, PNG, GIF and WEBP are accepted");
    if (sb_multipart_find(ct, r->body.data, r->body.len, "use_case", &use) == 0) {
        int known = 0;
        for (int i = 0; use_cases[i] && !known; i++)
            known = use.len == strlen(use_cases[i]) && memcmp(use.data, use_cases[i], use.len) == 0;
        if (!known)
            return sb_api_fail(r, 200, SB_E_FIELD, "use_case: must be one of MAIN_IMAGE, "
                               "ATTRIBUTE_IMAGE, DESCRIPTION_IMAGE, CERTIFICATION_IMAGE, "
                               "SIZE_CHART_IMAGE");
        memcpy(use_case, use.data, use.len);
        use_case[use.len] = '\0';
    }
    sb_store_lock(r->app->store);
    int rc = sb_store_image_add(r->app->store, file.data, file.len, mime, w, h, hex);
    if (rc == 0)
        r->app->store->counters.images_uploaded++;
    sb_store_unlock(r->app->store);
    if (rc != 0)
        return sb_api_fail(r, 200, SB_E_IMAGE_STORE_FULL,
                           "image storage is full (%u bytes); POST /sandbox/reset",
                           SB_MAX_IMAGES_TOTAL);
    char uri[80], url[400];
    snprintf(uri, sizeof(uri), "%s%s", SB_IMAGE_URI_PREFIX, hex);
    snprintf(url, sizeof(url), "%s/images/%s", r->app->cfg->public_url, hex);
    return sb_api_ok(r, json_pack("{s:s,s:s,s:i,s:i,s:s}", "uri", uri, "url", url, "width", w,
                                  "height", h, "use_case", use_case));
}

int sb_image_get(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    unsigned char *copy = NULL;
    const char *mime = NULL;
    size_t len = 0;

    /* Copy under the lock (a reset frees the stored bytes) and send after
     * it, so a slow reader never holds up the store. */
    sb_store_lock(s);
    const sb_image_t *im = sb_store_image_find(s, r->arg[0]);
    if (im && (copy = malloc(im->len)) != NULL) {
        memcpy(copy, im->data, im->len);
        len = im->len;
        mime = im->mime;
    }
    sb_store_unlock(s);
    if (!copy) {
        httpx_send_error(r->conn, im ? 500 : 404, im ? "internal" : "not_found",
                         im ? "out of memory" : "no such image");
        return im ? 500 : 404;
    }
    httpx_send(r->conn, 200, mime, copy, len, NULL);
    free(copy);
    return 200;
}
