package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mmgpt.testsupport.KafkaBrokerResource;

/** The web module's pages, served by the gateway from its class path, with cache headers that suit them. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class WebPagesTest extends GatewayTestBase {

    private static final Pattern ASSET = Pattern.compile("(?:src|href)=\"\\./(assets/[^\"]+)\"");
    /** A URL with a host of its own ({@code https://cdn...}, {@code //fonts...}): the pages must load none. */
    private static final Pattern ELSEWHERE = Pattern.compile("(?:src|href)=\"(?:[a-z]+:)?//|url\\(\\s*['\"]?(?:[a-z]+:)?//|@import");

    @Test
    void theRootServesThePageAndEveryBundleItNames() {
        String html = given().get("/").then().statusCode(200)
                .contentType(startsWith("text/html"))
                .header("Cache-Control", "no-cache")
                .body(containsString("<div id=\"app\"></div>"))
                .extract().asString();
        List<String> assets = new ArrayList<>();
        Matcher m = ASSET.matcher(html);
        while (m.find()) {
            assets.add(m.group(1));
        }
        assertTrue(assets.stream().anyMatch(a -> a.endsWith(".js")), "a script bundle in " + html);
        assertTrue(assets.stream().anyMatch(a -> a.endsWith(".css")), "a style sheet in " + html);
        assertFalse(ELSEWHERE.matcher(html).find(), "the page loads everything from the gateway (no CDN): " + html);
        for (String asset : assets) {
            var answer = given().get("/" + asset).then().statusCode(200)
                    .header("Cache-Control", "public, max-age=31536000, immutable")
                    .extract();
            String type = answer.contentType();
            assertTrue(type.startsWith(asset.endsWith(".js") ? "text/javascript" : "text/css")
                    || type.startsWith("application/javascript"), asset + " served as " + type);
            if (asset.endsWith(".css")) {
                assertFalse(ELSEWHERE.matcher(answer.asString()).find(), asset + " loads something from another host");
            }
        }
        given().get("/index.html").then().statusCode(200).header("Cache-Control", "no-cache");
    }

    @Test
    void theApiKeepsItsOwnAnswers() {
        given().get("/v1/jobs").then().statusCode(200).contentType(startsWith("application/json"))
                .header("Cache-Control", nullValue());
        assertEquals(404, given().get("/assets/no-such-bundle.js").statusCode());
    }
}
