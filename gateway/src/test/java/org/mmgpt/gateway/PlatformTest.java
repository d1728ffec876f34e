package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmgpt.testsupport.KafkaBrokerResource;

/** Artifacts in storage, and what the platform serves: OpenAPI, health, metrics. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class PlatformTest extends GatewayTestBase {

    @Test
    void artifactsListsModelsAndAdaptersInStorage() {
        given().get("/v1/artifacts").then().statusCode(200)
                .body("items.path", equalTo(List.of("adapters/a1", "models/base")))
                .body("items.kind", equalTo(List.of("adapter", "model")))
                .body("items[1].size_bytes", equalTo(9));
    }

    @Test
    void openApiHealthAndMetricsAreServed() {
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/v1/jobs/{id}/events"))
                .body(containsString("/v1/artifacts"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("job-table"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"));
    }
}
