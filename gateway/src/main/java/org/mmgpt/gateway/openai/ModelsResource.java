package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ServedModel;

/** GET /v1/models: every model in storage that can be served, by id (models, and adapters whose base is there). */
@Path("/v1/models")
public class ModelsResource {

    @Inject
    ModelCatalog catalog;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public String list() throws IOException {
        ObjectNode list = Answers.node();
        list.put("object", "list");
        var data = list.putArray("data");
        for (ServedModel m : catalog.list()) {
            ObjectNode model = data.addObject();
            model.put("id", m.id());
            model.put("object", "model");
            model.put("created", m.modifiedAt().getEpochSecond());
            model.put("owned_by", "mmgpt");
        }
        return list.toString();
    }
}
